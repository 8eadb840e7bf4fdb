import { routes } from '../api/routes.js';
import { NotFound } from '../domain/errors.js';
import { catalog } from '../shared/catalog.js';
import { apiHandler } from '../shared/http.js';

export const handler = apiHandler(routes.getProduct, async ({ params }) => {
  const product = await catalog.getProduct(params.sku);
  if (!product) throw NotFound.of(`Product ${params.sku}`);
  return { status: 200, body: product };
});
