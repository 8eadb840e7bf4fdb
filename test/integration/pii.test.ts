import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/keys.js';
import { api, cloud, documentClient } from './client.js';
import { postCarrierEvent, product, untilOrder } from './lifecycle.js';

const { ops, storefront, warehouse } = cloud.keys;
const run = `${process.pid}${Date.now().toString(36)}`;

/** A customer whose every personal detail is unique to this run, so finding one in a log can only be a leak. */
const customer = {
  id: `pii-${run}`,
  email: `ada.pii.${run}@example.com`,
  name: `Ada Piiname${run}`,
};
const shippingAddress = {
  name: customer.name,
  line1: `${run} Analytical Engine Street`,
  line2: `Flat Piiflat${run}`,
  city: `Piicity${run}`,
  postalCode: `PC${run.slice(-6)}`,
  country: 'NL',
  phone: `+31 6 ${run.slice(-8)}`,
};
const paymentToken = 'tok_visa';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await pause(50);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** Every line of every file the local cloud logged to: the functions' logs and the cloud's own (Step Functions'). */
function everyLogLine(): { file: string; line: string }[] {
  return readdirSync(cloud.logDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .flatMap((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => ({ file: path.relative(cloud.logDir, file), line }));
    });
}

/** authorize-payment's own handler, run in this process against the local cloud's table (a retried Authorize). */
async function authorizePaymentHandler() {
  Object.assign(process.env, {
    TABLE_NAME: cloud.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.dynamodb,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { handler } = await import('../../lambdas/authorize-payment/handler.js');
  const context = {
    functionName: 'authorize-payment',
    awsRequestId: `retry-${process.pid}`,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:authorize-payment',
    memoryLimitInMB: '512',
    getRemainingTimeInMillis: () => 10_000,
  } as Context;
  return (orderId: string) => handler({ orderId }, context) as Promise<{ authorizationId: string }>;
}

describe('Personal data stays out of logs', () => {
  it('through a whole order life (placed, picked, packed, shipped, delivered, returned, an inquiry answered), no log holds the customer, the token or a secret', async () => {
    // Arrange: a product in stock
    const item = await product();

    // Act: the order's whole life
    const placed = await api<{ orderId: string }>('POST', '/orders', {
      key: storefront,
      headers: { 'idempotency-key': `pii-${run}` },
      body: {
        customer,
        items: [{ sku: item.sku, quantity: 2 }],
        shippingAddress,
        billingAddress: shippingAddress,
        shippingOption: 'standard',
        payment: { token: paymentToken },
      },
    });
    expect(placed.status).toBe(202);
    const { orderId } = placed.body;
    const task = await until('the pick task', async () => {
      const { body } = await api<{ items: { taskId: string; orderId: string }[] }>('GET', '/fulfillment/tasks?status=OPEN&limit=100', {
        key: warehouse,
      });
      return body.items.find((candidate) => candidate.orderId === orderId);
    });
    for (let unit = 0; unit < 2; unit++)
      await api('POST', `/fulfillment/tasks/${task.taskId}/scans`, { key: warehouse, body: { barcode: item.barcode } });
    await api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 600 } });
    const shipped = await untilOrder(orderId, (order) => order.status === 'SHIPPED');
    const trackingNumber = shipped.shipments[0]?.trackingNumber as string;
    await postCarrierEvent({ eventId: `pii-transit-${run}`, trackingNumber, status: 'IN_TRANSIT', occurredAt: new Date().toISOString() });
    await postCarrierEvent({ eventId: `pii-delivered-${run}`, trackingNumber, status: 'DELIVERED', occurredAt: new Date().toISOString() });
    expect((await untilOrder(orderId, (order) => order.status === 'DELIVERED')).status).toBe('DELIVERED');

    const returned = await api<{ returnId: string }>('POST', `/orders/${orderId}/returns`, {
      key: storefront,
      body: { items: [{ sku: item.sku, quantity: 1 }], reason: `Too small for ${customer.name}` },
    });
    expect(returned.status).toBe(201);
    const returnId = returned.body.returnId;
    await api('POST', `/returns/${returnId}/events`, { key: warehouse, body: { eventId: `pii-rcv-${run}`, type: 'RECEIVED' } });
    await api('POST', `/returns/${returnId}/events`, {
      key: warehouse,
      body: { eventId: `pii-insp-${run}`, type: 'INSPECTED', condition: 'RESELLABLE' },
    });
    await until('the refund', async () => {
      const { body } = await api<{ status: string }>('GET', `/returns/${returnId}`, { key: storefront });
      return body.status === 'REFUNDED' ? body : undefined;
    });

    const inquiry = await api<{ inquiryId: string }>('POST', `/orders/${orderId}/inquiries`, {
      key: storefront,
      body: { subject: 'Where is my refund?', message: `Hello, this is ${customer.name} at ${shippingAddress.line1}.` },
    });
    expect(inquiry.status).toBe(201);
    const answered = await api('POST', `/ops/inquiries/${inquiry.body.inquiryId}/replies`, {
      key: ops,
      body: { message: `Dear ${customer.name}, your refund is on its way.` },
    });
    expect(answered.status).toBe(200);
    // Let the last log lines (the refund email, the ledger, the profile) reach their files.
    await pause(1500);

    // Assert: the order keeps no payment token once authorized, only the authorization
    const { Item: stored } = await documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: keys.order(orderId) }));
    expect(stored?.paymentToken).toBeUndefined();
    expect(stored?.authorization).toMatchObject({ authorizationId: expect.any(String), amount: stored?.total });

    // Assert: no log line holds a personal detail, the token or a secret
    const secrets = {
      email: customer.email,
      name: customer.name,
      'name (part)': `Piiname${run}`,
      line1: shippingAddress.line1,
      line2: shippingAddress.line2,
      city: shippingAddress.city,
      postalCode: shippingAddress.postalCode,
      phone: shippingAddress.phone,
      'payment token': paymentToken,
      'carrier secret': cloud.carrierSecret,
      ...Object.fromEntries(Object.entries(cloud.keys).map(([name, key]) => [`API key ${name}`, key])),
    };
    const lines = everyLogLine();
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.some(({ line }) => line.includes(orderId))).toBe(true);
    const leaks = lines.flatMap(({ file, line }) =>
      Object.entries(secrets)
        .filter(([, value]) => value && line.includes(value))
        .map(([what]) => `${file}: ${what}: ${line.slice(0, 300)}`),
    );
    expect(leaks).toEqual([]);
  });

  it('authorizes again after the token was removed (a retried Authorize): the recorded authorization, not a decline', async () => {
    // Arrange: an order the workflow authorized (its token removed)
    const item = await product();
    const placed = await api<{ orderId: string }>('POST', '/orders', {
      key: storefront,
      headers: { 'idempotency-key': `pii-retry-${run}` },
      body: {
        customer,
        items: [{ sku: item.sku, quantity: 1 }],
        shippingAddress,
        shippingOption: 'standard',
        payment: { token: paymentToken },
      },
    });
    const { orderId } = placed.body;
    const stored = await until('the authorization', async () => {
      const { Item } = await documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: keys.order(orderId) }));
      return Item?.authorization ? Item : undefined;
    });
    expect(stored.paymentToken).toBeUndefined();

    // Act: Step Functions retries Authorize (its answer was lost)
    const authorize = await authorizePaymentHandler();
    const again = await authorize(orderId);

    // Assert: the same authorization, and still no token
    expect(again.authorizationId).toBe(stored.authorization.authorizationId);
    const { Item: after } = await documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: keys.order(orderId) }));
    expect(after?.paymentToken).toBeUndefined();
  });
});
