import { routes } from '../api/routes.js';
import { catalog } from '../shared/catalog.js';
import { apiHandler } from '../shared/http.js';
import { logger } from '../shared/observability.js';

export const handler = apiHandler(routes.putProduct, async ({ params, body, principal }) => {
  const product = await catalog.putProduct(params.sku, body);
  logger.info('Product stored', { sku: product.sku, by: principal?.keyId });
  return { status: 200, body: product };
});
