import { routes } from '../api/routes.js';
import { catalog } from '../shared/catalog.js';
import { apiHandler } from '../shared/http.js';
import { logger, metrics } from '../shared/observability.js';

export const handler = apiHandler(routes.adjustInventory, async ({ params, body, principal }) => {
  const level = await catalog.adjustStock({
    sku: params.sku,
    delta: body.delta,
    reason: body.reason,
    actor: principal?.keyId ?? 'unknown',
  });
  logger.info('Stock adjusted', { sku: params.sku, delta: body.delta, available: level.available });
  metrics.addMetric('StockAdjusted', 'Count', 1);
  return { status: 200, body: level };
});
