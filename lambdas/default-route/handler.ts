import { defaultRoute, methodsAt } from '../api/routes.js';
import { MethodNotAllowed, RouteNotFound } from '../domain/errors.js';
import { apiHandler } from '../shared/http.js';

/** Paths are echoed in messages for whoever debugs a client, but a long one is cut. */
const shown = (path: string) => (path.length > 200 ? `${path.slice(0, 200)}…` : path);

/**
 * API Gateway's `$default` route: requests no route matches. An unknown path is 404; a known path with
 * another method is 405 with `Allow` (RFC 9110), except OPTIONS, which is answered with `Allow` alone.
 */
export const handler = apiHandler(defaultRoute, async ({ method, path }) => {
  const methods = methodsAt(path);
  if (methods.length === 0) {
    throw new RouteNotFound(`There is no route ${shown(path)}; /openapi.json lists the routes.`, {
      details: [{ path: 'path', message: 'no such route' }],
    });
  }
  const allowed = [...methods, 'OPTIONS'];
  if (method === 'OPTIONS') return { status: 204, headers: { allow: allowed.join(', ') } };
  throw new MethodNotAllowed(allowed, `${shown(method)} is not allowed on ${shown(path)}; use ${allowed.join(', ')}.`, {
    details: [{ path: 'method', message: `not one of ${allowed.join(', ')}` }],
  });
});
