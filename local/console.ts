import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { SideHandler } from './http-api.js';

const PREFIX = '/console';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/**
 * The headers CloudFront's response headers policy adds in AWS (lib/console.ts), so the console meets the same
 * rules locally; the API is on the same origin here.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function send(response: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string>, head: boolean): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...headers });
  response.end(head ? undefined : body);
}

/** A file of the build under `dist` for a path below /console/, or undefined (then the page is the app's: index.html). */
function fileFor(dist: string, relative: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
  const file = path.resolve(dist, `.${path.posix.normalize(`/${decoded}`)}`);
  if (!file.startsWith(`${dist}${path.sep}`)) return undefined;
  return existsSync(file) && statSync(file).isFile() ? file : undefined;
}

/**
 * Serves the built console (console/dist) at /console/ in front of the API: hashed assets cached for a year, the
 * page itself revalidated, any other path under /console/ answered with the page (the app routes in the fragment),
 * and config.json pointing the console at this API — the same origin as the page.
 */
export function consoleHandler(dist: string): SideHandler {
  return (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? 'GET';
    const pathname = (request.url ?? '/').split('?')[0] as string;
    if (pathname !== PREFIX && !pathname.startsWith(`${PREFIX}/`)) return false;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const head = method === 'HEAD';
    if (pathname === PREFIX) {
      send(response, 308, '', { location: `${PREFIX}/` }, head);
      return true;
    }
    const relative = pathname.slice(PREFIX.length + 1);
    if (relative === 'config.json') {
      const apiUrl = `http://${request.headers.host ?? '127.0.0.1'}`;
      send(response, 200, JSON.stringify({ apiUrl }), { 'content-type': 'application/json', 'cache-control': 'no-store' }, head);
      return true;
    }
    const file = relative && relative !== 'index.html' ? fileFor(dist, relative) : undefined;
    if (file) {
      const immutable = relative.startsWith('assets/');
      send(
        response,
        200,
        readFileSync(file),
        {
          'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
          'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        },
        head,
      );
      return true;
    }
    const index = path.join(dist, 'index.html');
    if (!existsSync(index)) {
      send(
        response,
        503,
        'The console is not built: restart npm start to build it.',
        { 'content-type': 'text/plain; charset=utf-8' },
        head,
      );
      return true;
    }
    // The build's URLs are relative (it is served at the root of its CloudFront distribution in AWS); the base
    // keeps them pointing into /console/ from a deeper path.
    const page = readFileSync(index, 'utf8').replace('<head>', `<head>\n    <base href="${PREFIX}/" />`);
    send(response, 200, page, { 'content-type': CONTENT_TYPES['.html'] as string, 'cache-control': 'no-cache' }, head);
    return true;
  };
}
