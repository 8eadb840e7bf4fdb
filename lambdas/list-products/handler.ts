import { routes } from '../api/routes.js';
import { catalog } from '../shared/catalog.js';
import { apiHandler } from '../shared/http.js';

export const handler = apiHandler(routes.listProducts, async ({ query }) => {
  return { status: 200, body: await catalog.listProducts({ limit: query.limit, cursor: query.cursor }) };
});
