import { randomBytes } from 'node:crypto';
import { routes } from '../api/routes.js';
import { IdempotencyKeyReused } from '../domain/errors.js';
import { velocityWindows } from '../domain/fraud.js';
import { money } from '../domain/money.js';
import type { PlaceOrderBody, StoredOrder } from '../domain/orders.js';
import { type CatalogEntry, priceOrder } from '../domain/pricing.js';
import { apiHandler, requestHash } from '../shared/http.js';
import { logger, metrics } from '../shared/observability.js';
import { orderWorkflow } from '../shared/order-workflow.js';
import { orders } from '../shared/orders.js';

/** Sortable, unique, and a valid execution name: `ord_` + time + randomness. */
const newOrderId = () => `ord_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;

function newOrder(
  body: PlaceOrderBody,
  storefrontId: string,
  priced: ReturnType<typeof priceOrder>,
  catalog: Map<string, CatalogEntry>,
): StoredOrder {
  const now = new Date().toISOString();
  return {
    orderId: newOrderId(),
    storefrontId,
    status: 'PENDING',
    customer: body.customer,
    items: priced.items,
    subtotal: priced.subtotal,
    shipping: priced.shipping,
    tax: priced.tax,
    total: priced.total,
    shippingOption: body.shippingOption,
    shippingAddress: body.shippingAddress,
    ...(body.billingAddress ? { billingAddress: body.billingAddress } : {}),
    paymentToken: body.payment.token,
    barcodes: Object.fromEntries(priced.items.map((item) => [item.sku, (catalog.get(item.sku) as CatalogEntry).barcode])),
    shipments: [],
    returns: [],
    refunded: money(0, priced.total.currency),
    timeline: [{ at: now, status: 'PENDING', note: 'order placed' }],
    createdAt: now,
    updatedAt: now,
  };
}

export const handler = apiHandler(routes.placeOrder, async ({ body, headers, principal }) => {
  const storefrontId = principal?.storefrontId as string;
  const key = headers['idempotency-key'] as string;
  const digest = requestHash(body);

  const catalog = await orders.products(body.items.map((item) => item.sku));
  const priced = priceOrder(body.items, catalog, body.shippingOption, body.shippingAddress.country);
  const order = newOrder(body, storefrontId, priced, catalog);
  const response = { orderId: order.orderId, status: 'PENDING', total: order.total, links: { self: `/orders/${order.orderId}` } };
  // The idempotency record's condition decides: a key seen before (even a moment ago, concurrently) replays.
  const earlier = await orders.place(order, { key, requestHash: digest, response });
  if (earlier) return replay(earlier, digest);

  const velocity = velocityWindows(order);
  await Promise.all([
    orderWorkflow.start(order),
    orders.countVelocity([velocity.customer, velocity.email, ...(velocity.card ? [velocity.card] : [])]),
  ]);
  logger.info('Order placed', { orderId: order.orderId, storefrontId, lines: order.items.length });
  metrics.addMetric('OrdersPlaced', 'Count', 1);
  return { status: 202, body: response, headers: { location: response.links.self } };
});

/** The same key and body replay the first response (and make sure its workflow runs); another body is a conflict. */
async function replay(earlier: { requestHash: string; orderId: string; response: unknown }, requestHash: string) {
  if (earlier.requestHash !== requestHash) {
    throw new IdempotencyKeyReused('This Idempotency-Key was used for a different request; use a new key for a new order.');
  }
  const order = await orders.get(earlier.orderId, true);
  if (order?.status === 'PENDING') await orderWorkflow.start(order);
  const response = earlier.response as { links: { self: string } };
  return { status: 202, body: response, headers: { location: response.links.self, 'idempotent-replayed': 'true' } };
}
