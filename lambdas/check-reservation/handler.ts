import * as z from 'zod';
import { OrderNotFound } from '../domain/errors.js';
import { catalog } from '../shared/catalog.js';
import { logger } from '../shared/observability.js';
import { orders } from '../shared/orders.js';
import { workflowHandler } from '../shared/workflow.js';

/**
 * Says why a stock transaction of the order workflow (reserve, release, ship) was cancelled, from the
 * items themselves rather than the cancellation reasons, whose wording differs between DynamoDB and its
 * emulators: whether the order's reservation is held, and which lines have too little stock available.
 * Held and nothing short after a cancelled reserve means it was made before (a retry); not held after a
 * cancelled release or shipment means that was done before; anything else is a write conflict to retry.
 */
export const handler = workflowHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  const order = await orders.get(orderId, true);
  if (!order) throw new OrderNotFound(orderId);
  const [held, levels] = await Promise.all([
    catalog.reservation(orderId),
    Promise.all(order.items.map((item) => catalog.getStock(item.sku, true))),
  ]);
  const short = order.items.filter((item, index) => (levels[index]?.available ?? 0) < item.quantity).map((item) => item.sku);
  // Cancelled: a cancellation request refused the transaction (ShipStock checks the order for one).
  const cancelled = order.cancellation !== undefined;
  logger.info('Stock transaction explained', { held: held !== undefined, short, cancelled });
  return { held: held !== undefined, short, cancelled };
});
