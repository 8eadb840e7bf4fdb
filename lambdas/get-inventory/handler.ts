import { routes } from '../api/routes.js';
import { NotFound } from '../domain/errors.js';
import { catalog } from '../shared/catalog.js';
import { apiHandler } from '../shared/http.js';

export const handler = apiHandler(routes.getInventory, async ({ params }) => {
  const level = await catalog.getStock(params.sku);
  if (!level) throw NotFound.of(`Product ${params.sku}`);
  return { status: 200, body: level };
});
