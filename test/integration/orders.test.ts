import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoApiKeyRepository } from '../../lambdas/adapters/api-key-repository.js';
import { generateApiKey } from '../../lambdas/domain/api-keys.js';
import { api, cloud, documentClient, uniqueBarcode, uniqueSku } from './client.js';

const { ops, storefront } = cloud.keys;
type OrderBody = { orderId: string; status: string; statusReason?: string; total: { amount: number }; timeline: { status: string }[] };

let customers = 0;
function orderBody(sku: string, overrides: Record<string, unknown> = {}) {
  customers++;
  const id = `cust-${process.pid}-${Date.now().toString(36)}-${customers}`;
  return {
    customer: { id, email: `${id}@example.com`, name: 'Ada Lovelace' },
    items: [{ sku, quantity: 1 }],
    shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
    shippingOption: 'standard',
    payment: { token: 'tok_visa' },
    ...overrides,
  };
}

async function product(stock: number, price = 2500): Promise<string> {
  const sku = uniqueSku('ORD');
  expect(
    (
      await api('PUT', `/products/${sku}`, {
        key: ops,
        body: {
          name: 'Order test mug',
          price: { amount: price, currency: 'EUR' },
          barcode: uniqueBarcode(),
          weightGrams: 400,
        },
      })
    ).status,
  ).toBe(200);
  if (stock) await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: stock, reason: 'test' } });
  return sku;
}

let keys = 0;
const place = (body: unknown, key = `key-${process.pid}-${Date.now()}-${++keys}`) =>
  api<OrderBody>('POST', '/orders', { key: storefront, body, headers: { 'idempotency-key': key } });

/** Waits until the order workflow rests: REJECTED, or FULFILLING (confirmed, waiting for the warehouse). */
async function settled(orderId: string, timeoutMs = 30_000): Promise<OrderBody> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { body } = await api<OrderBody>('GET', `/orders/${orderId}`, { key: storefront });
    if (!['PENDING', 'ON_HOLD', 'CONFIRMED'].includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`order ${orderId} did not settle`);
}

async function untilStatus(orderId: string, status: string): Promise<OrderBody> {
  for (let i = 0; i < 400; i++) {
    const { body } = await api<OrderBody>('GET', `/orders/${orderId}`, { key: storefront });
    if (body.status === status) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`order ${orderId} never reached ${status}`);
}

const payments = async (orderId: string) =>
  (
    await documentClient.send(
      new QueryCommand({
        TableName: cloud.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `PAYMENT#${orderId}` },
      }),
    )
  ).Items ?? [];

type Mail = { destination: { to: string[] }; subject: string; body: { html?: string; text?: string } };
/** The mail sent to `email`, waiting for it: the workflow sends it just after the order's status changes. */
const mailTo = async (email: string): Promise<Mail[]> => {
  for (let i = 0; i < 100; i++) {
    const store = (await (await fetch(`${cloud.mailbox}/store`)).json()) as { emails: Mail[] };
    const mail = store.emails.filter((message) => message.destination.to.includes(email));
    if (mail.length) return mail;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
};

describe('placing an order', () => {
  it('confirms a happy order: stock reserved, payment captured once, confirmation email sent', async () => {
    const sku = await product(5);
    const body = orderBody(sku, { items: [{ sku, quantity: 2 }] });

    const placed = await place(body);

    expect(placed.status).toBe(202);
    expect(placed.body).toMatchObject({ status: 'PENDING', links: { self: `/orders/${placed.body.orderId}` } });
    // 2 × 25.00 + 4.95 standard shipping, 19 % German VAT on both: 5495 + 1044 = 6539.
    expect(placed.body.total).toEqual({ amount: 6539, currency: 'EUR' });
    const order = await settled(placed.body.orderId);
    expect(order.status).toBe('FULFILLING');
    expect(order.timeline.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED', 'FULFILLING']);
    expect((await api('GET', `/inventory/${sku}`, { key: ops })).body).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
    expect((await payments(placed.body.orderId)).map((payment) => payment.status)).toEqual(['CAPTURED']);
    const mail = await mailTo(body.customer.email);
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toBe(`Order ${placed.body.orderId} confirmed`);
    expect(mail[0]?.body.text).toContain('€65.39');
  });

  it('rejects a declined card with PAYMENT_DECLINED and leaves stock untouched', async () => {
    const sku = await product(5);
    const body = orderBody(sku, { payment: { token: 'tok_declined' } });

    const order = await settled((await place(body)).body.orderId);

    expect(order).toMatchObject({ status: 'REJECTED', statusReason: 'PAYMENT_DECLINED' });
    expect((await api('GET', `/inventory/${sku}`, { key: ops })).body).toMatchObject({ reserved: 0, available: 5 });
    expect((await mailTo(body.customer.email))[0]?.subject).toContain('could not be completed');
  });

  it('retries a gateway timeout, then rejects the order and voids the authorization', async () => {
    const sku = await product(5);
    const placed = await place(orderBody(sku, { payment: { token: 'tok_gateway_timeout' } }));

    const order = await settled(placed.body.orderId);

    expect(order).toMatchObject({ status: 'REJECTED', statusReason: 'PAYMENT_DECLINED' });
    expect((await payments(placed.body.orderId)).map((payment) => payment.status)).toEqual(['VOIDED']);
    const execution = await api<{ events: { type: string; error?: string }[] }>('GET', `/ops/orders/${placed.body.orderId}/execution`, {
      key: ops,
    });
    expect(execution.body.events.filter((event) => event.type === 'TaskFailed' && event.error === 'GatewayTimeout')).toHaveLength(3);
    expect((await api('GET', `/inventory/${sku}`, { key: ops })).body).toMatchObject({ available: 5 });
  });

  it('holds a suspicious order for ops review; approval confirms it', async () => {
    const sku = await product(5);
    const placed = await place(orderBody(sku, { payment: { token: 'tok_fraud_review' } }));
    await untilStatus(placed.body.orderId, 'ON_HOLD');
    // Ops see why it was held; the storefront does not.
    const held = await api<{ fraud?: { score: number; reasons: string[] } }>('GET', `/orders/${placed.body.orderId}`, { key: ops });
    expect(held.body.fraud?.score).toBeGreaterThanOrEqual(40);
    expect(held.body.fraud?.reasons.length).toBeGreaterThan(0);
    expect((await api('GET', `/orders/${placed.body.orderId}`, { key: storefront })).body).not.toHaveProperty('fraud');

    const review = await api('POST', `/ops/orders/${placed.body.orderId}/review`, {
      key: ops,
      body: { decision: 'approve', note: 'called the customer' },
    });

    expect(review.status).toBe(202);
    const order = await settled(placed.body.orderId);
    expect(order.status).toBe('FULFILLING');
    expect(order.timeline.map((entry) => entry.status)).toEqual(['PENDING', 'ON_HOLD', 'CONFIRMED', 'FULFILLING']);
  });

  it('holds a suspicious order for ops review; rejection rejects it as FRAUD_SUSPECTED', async () => {
    const sku = await product(5);
    const placed = await place(orderBody(sku, { payment: { token: 'tok_fraud_review' } }));
    await untilStatus(placed.body.orderId, 'ON_HOLD');

    await api('POST', `/ops/orders/${placed.body.orderId}/review`, { key: ops, body: { decision: 'reject' } });

    expect(await settled(placed.body.orderId)).toMatchObject({ status: 'REJECTED', statusReason: 'FRAUD_SUSPECTED' });
    expect((await api('POST', `/ops/orders/${placed.body.orderId}/review`, { key: ops, body: { decision: 'approve' } })).status).toBe(409);
  });

  it('gives two concurrent review decisions one 202 and one 409, and applies only the first', async () => {
    // Arrange
    const sku = await product(5);
    const placed = await place(orderBody(sku, { payment: { token: 'tok_fraud_review' } }));
    await untilStatus(placed.body.orderId, 'ON_HOLD');
    const review = (decision: string) => api('POST', `/ops/orders/${placed.body.orderId}/review`, { key: ops, body: { decision } });

    // Act
    const [approve, reject] = await Promise.all([review('approve'), review('reject')]);

    // Assert
    expect([approve.status, reject.status].sort()).toEqual([202, 409]);
    const loser = approve.status === 409 ? approve : reject;
    expect((loser.body as unknown as { error: { code: string } }).error.code).toBe('NOT_ON_HOLD');
    const order = await settled(placed.body.orderId);
    expect(order.status).toBe(approve.status === 202 ? 'FULFILLING' : 'REJECTED');
  });

  it('rejects an order for a sold-out SKU as OUT_OF_STOCK and voids its authorization', async () => {
    const sku = await product(0);
    const placed = await place(orderBody(sku));

    expect(await settled(placed.body.orderId)).toMatchObject({ status: 'REJECTED', statusReason: 'OUT_OF_STOCK' });
    expect((await payments(placed.body.orderId)).map((payment) => payment.status)).toEqual(['VOIDED']);
  });
});

describe('idempotency and validation', () => {
  it('replays the same key and body, and refuses the same key with another body', async () => {
    const sku = await product(5);
    const body = orderBody(sku);
    const first = await place(body, 'same-key-1');

    const again = await place(body, 'same-key-1');
    const other = await place({ ...body, shippingOption: 'express' }, 'same-key-1');

    expect(again.status).toBe(202);
    expect(again.body.orderId).toBe(first.body.orderId);
    expect(other.status).toBe(409);
    expect((other.body as unknown as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('creates one order for 50 concurrent identical POSTs with one key', async () => {
    const sku = await product(100);
    const body = orderBody(sku);

    const key = `concurrent-${Date.now()}`;
    const responses = await Promise.all(Array.from({ length: 50 }, () => place(body, key)));

    expect(responses.every((response) => response.status === 202)).toBe(true);
    expect(new Set(responses.map((response) => response.body.orderId)).size).toBe(1);
    const list = await api<{ items: unknown[] }>('GET', `/orders?customerId=${body.customer.id}`, { key: storefront });
    expect(list.body.items).toHaveLength(1);
  });

  it('answers an unknown SKU with 422 UNKNOWN_SKU and a missing key with 422', async () => {
    const unknown = await place(orderBody('NO-SUCH-SKU-EVER'));
    expect(unknown.status).toBe(422);
    expect((unknown.body as unknown as { error: { code: string } }).error.code).toBe('UNKNOWN_SKU');
    const noKey = await api('POST', '/orders', { key: storefront, body: orderBody('X') });
    expect(noKey.status).toBe(422);
  });

  it("hides another storefront's order (404), lets ops read it, and keeps ops from placing orders (403)", async () => {
    const sku = await product(5);
    const placed = await place(orderBody(sku));
    const { secret: otherStorefront, record } = generateApiKey({ scope: 'storefront', storefrontId: 'other-shop' });
    await new DynamoApiKeyRepository(cloud.tableName, documentClient).create(record);

    expect((await api('GET', `/orders/${placed.body.orderId}`, { key: otherStorefront })).status).toBe(404);
    expect((await api('GET', `/orders/${placed.body.orderId}`, { key: ops })).status).toBe(200);
    expect((await api<{ items: unknown[] }>('GET', '/orders', { key: otherStorefront })).body.items).toEqual([]);
    expect((await api('POST', '/orders', { key: ops, body: orderBody(sku), headers: { 'idempotency-key': 'ops-try' } })).status).toBe(403);
  });

  it("lists a customer's orders newest first, filtered by status", async () => {
    const sku = await product(5);
    const body = orderBody(sku);
    const first = await place(body);
    const second = await place({ ...body, shippingOption: 'express' });
    await settled(first.body.orderId);
    await settled(second.body.orderId);

    const all = await api<{ items: { orderId: string }[] }>('GET', `/orders?customerId=${body.customer.id}`, { key: storefront });
    const confirmed = await api<{ items: { orderId: string }[] }>('GET', `/orders?customerId=${body.customer.id}&status=FULFILLING`, {
      key: storefront,
    });
    const rejected = await api<{ items: unknown[] }>('GET', `/orders?customerId=${body.customer.id}&status=REJECTED`, { key: storefront });

    expect(all.body.items.map((order) => order.orderId)).toEqual([second.body.orderId, first.body.orderId]);
    expect(confirmed.body.items.map((order) => order.orderId)).toEqual([second.body.orderId, first.body.orderId]);
    expect(rejected.body.items).toEqual([]);
  });
});
