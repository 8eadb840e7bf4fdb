import { signCarrierPayload } from '../../lambdas/domain/tracking.js';
import { api, cloud, uniqueBarcode, uniqueSku } from './client.js';

const { ops, storefront, warehouse } = cloud.keys;
export type Task = {
  taskId: string;
  orderId: string;
  status: string;
  lines: { sku: string; barcode: string; quantity: number; picked: number }[];
};
export type TrackedOrder = {
  status: string;
  timeline: { status: string; note?: string }[];
  shipments: {
    carrier: string;
    service: string;
    trackingNumber: string;
    trackingUrl: string;
    status: string;
    events: { status: string; occurredAt: string }[];
  }[];
};

let sequence = 0;
/** A product with its own valid EAN-13, in stock. */
export async function product(): Promise<{ sku: string; barcode: string }> {
  const sku = uniqueSku('PICK');
  const barcode = uniqueBarcode();
  await api('PUT', `/products/${sku}`, {
    key: ops,
    body: { name: `Pick test ${sku}`, price: { amount: 990, currency: 'EUR' }, barcode, weightGrams: 250 },
  });
  await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: 20, reason: 'test' } });
  return { sku, barcode };
}

/** Places an order for a new customer; `token` is the sandbox gateway's (tok_fraud_review holds it), `postalCode` where it goes. */
export async function placeOrder(
  items: { sku: string; quantity: number }[],
  options: { token?: string; postalCode?: string } = {},
): Promise<string> {
  const id = `picker-${Date.now().toString(36)}-${++sequence}`;
  const placed = await api<{ orderId: string }>('POST', '/orders', {
    key: storefront,
    headers: { 'idempotency-key': id },
    body: {
      customer: { id, email: `${id}@example.com`, name: 'Grace Hopper' },
      items,
      shippingAddress: {
        name: 'Grace Hopper',
        line1: '3 Compiler Lane',
        city: 'Amsterdam',
        postalCode: options.postalCode ?? '1011',
        country: 'NL',
      },
      shippingOption: 'express',
      payment: { token: options.token ?? 'tok_visa' },
    },
  });
  return placed.body.orderId;
}

/** Places an order and waits for its pick task to appear. */
export async function orderAwaitingPick(
  items: { sku: string; quantity: number }[],
  options: { postalCode?: string } = {},
): Promise<{ orderId: string; task: Task }> {
  const orderId = await placeOrder(items, options);
  for (let i = 0; i < 400; i++) {
    const { body } = await api<{ items: Task[] }>('GET', '/fulfillment/tasks?status=OPEN&limit=100', { key: warehouse });
    const task = body.items.find((candidate) => candidate.orderId === orderId);
    if (task) return { orderId, task };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no pick task for ${orderId}`);
}

export async function untilOrder(orderId: string, done: (order: TrackedOrder) => boolean, tries = 300): Promise<TrackedOrder> {
  let order = (await api<TrackedOrder>('GET', `/orders/${orderId}`, { key: storefront })).body;
  for (let i = 0; i < tries && !done(order); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    order = (await api<TrackedOrder>('GET', `/orders/${orderId}`, { key: storefront })).body;
  }
  return order;
}

/** An order picked, packed and shipped: its tracking number is ready for carrier events. */
export async function shippedOrder(): Promise<{ orderId: string; trackingNumber: string }> {
  const item = await product();
  const { orderId, task } = await orderAwaitingPick([{ sku: item.sku, quantity: 1 }]);
  await api('POST', `/fulfillment/tasks/${task.taskId}/scans`, { key: warehouse, body: { barcode: item.barcode } });
  await api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 400 } });
  const order = await untilOrder(orderId, (candidate) => candidate.status === 'SHIPPED');
  return { orderId, trackingNumber: order.shipments[0]?.trackingNumber as string };
}

export function postCarrierEvent(event: object, options: { signature?: string; now?: number } = {}) {
  const raw = JSON.stringify(event);
  return api<{ error?: { code: string } }>('POST', '/carrier/events', {
    rawBody: raw,
    headers: {
      'content-type': 'application/json',
      'x-conveyor-signature': options.signature ?? signCarrierPayload(raw, cloud.carrierSecret, options.now),
    },
  });
}
