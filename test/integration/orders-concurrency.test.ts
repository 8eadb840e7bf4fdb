import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { api, cloud, documentClient, uniqueBarcode, uniqueSku } from './client.js';

const { ops, storefront } = cloud.keys;

describe('inventory under concurrent orders', () => {
  it('confirms exactly as many single-unit orders as there is stock, and captures no payment without stock', async () => {
    const sku = uniqueSku('HOT');
    await api('PUT', `/products/${sku}`, {
      key: ops,
      body: { name: 'Limited edition print', price: { amount: 4900, currency: 'EUR' }, barcode: uniqueBarcode(), weightGrams: 200 },
    });
    await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: 7, reason: 'limited run' } });
    const run = `${process.pid}-${Date.now().toString(36)}`;

    // A storefront retries a 5xx with the same Idempotency-Key (a loaded machine can time a request out);
    // the key makes the retry safe, and the invariants below are checked on whatever came of it.
    const placeWithRetry = async (i: number) => {
      for (let attempt = 1; ; attempt++) {
        const response = await api<{ orderId: string }>('POST', '/orders', {
          key: storefront,
          headers: { 'idempotency-key': `rush-${run}-${i}` },
          body: {
            customer: { id: `rush-${run}-${i}`, email: `rush-${run}-${i}@example.com`, name: `Collector ${i}` },
            items: [{ sku, quantity: 1 }],
            shippingAddress: { name: `Collector ${i}`, line1: '2 Gallery Road', city: 'Paris', postalCode: '75001', country: 'FR' },
            shippingOption: 'express',
            payment: { token: 'tok_visa' },
          },
        });
        if (response.status < 500 || attempt === 5) return response;
      }
    };
    const placed = await Promise.all(Array.from({ length: 200 }, (_, i) => placeWithRetry(i)));
    expect(placed.map((response) => response.status).filter((status) => status !== 202)).toEqual([]);

    const finals = await Promise.all(
      placed.map(async ({ body }) => {
        for (let i = 0; i < 1200; i++) {
          const { body: order } = await api<{ status: string; statusReason?: string }>('GET', `/orders/${body.orderId}`, {
            key: storefront,
          });
          // CONFIRMED moves on to FULFILLING (the pick task) at once; either means paid and reserved.
          if (order.status !== 'PENDING')
            return { orderId: body.orderId, ...order, status: order.status === 'FULFILLING' ? 'CONFIRMED' : order.status };
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`order ${body.orderId} stayed PENDING`);
      }),
    );

    const outcomes: Record<string, number> = {};
    for (const order of finals) {
      const outcome = [order.status, order.statusReason].filter(Boolean).join(' ');
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    expect(outcomes).toEqual({ CONFIRMED: 7, 'REJECTED OUT_OF_STOCK': 193 });
    expect((await api('GET', `/inventory/${sku}`, { key: ops })).body).toEqual({ sku, onHand: 7, reserved: 7, available: 0 });
    const captured = await Promise.all(
      finals.map(async (order) => {
        const { Items = [] } = await documentClient.send(
          new QueryCommand({
            TableName: cloud.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `PAYMENT#${order.orderId}` },
          }),
        );
        return { status: order.status, payments: Items.map((item) => item.status as string) };
      }),
    );
    // Every confirmed order captured exactly once; every rejected one has only a voided authorization.
    expect(captured.filter((order) => order.status === 'CONFIRMED').every((order) => order.payments.join() === 'CAPTURED')).toBe(true);
    expect(captured.filter((order) => order.status === 'REJECTED').every((order) => order.payments.join() === 'VOIDED')).toBe(true);
  }, 180_000);
});
