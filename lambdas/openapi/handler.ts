import { buildOpenApiDocument } from '../api/openapi.js';
import { routes } from '../api/routes.js';
import { apiHandler } from '../shared/http.js';

// Built once per container: the document depends only on the code.
const document = buildOpenApiDocument();

export const handler = apiHandler(routes.openApi, async () => ({
  status: 200,
  body: document,
  headers: { 'cache-control': 'public, max-age=300' },
}));
