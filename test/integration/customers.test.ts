import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoApiKeyRepository } from '../../lambdas/adapters/api-key-repository.js';
import { keys } from '../../lambdas/adapters/keys.js';
import { generateApiKey } from '../../lambdas/domain/api-keys.js';
import type { Money } from '../../lambdas/domain/money.js';
import { DEMO_STOREFRONT } from '../../local/seed.js';
import { lambdaRecord } from '../../local/streams.js';
import { api, cloud, documentClient, uniqueBarcode, uniqueSku } from './client.js';
import { postCarrierEvent, type Task, untilOrder } from './lifecycle.js';

const { ops, storefront, warehouse } = cloud.keys;
const local = { endpoint: cloud.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const dynamodb = new DynamoDBClient(local);
const streams = new DynamoDBStreamsClient(local);
afterAll(() => {
  dynamodb.destroy();
  streams.destroy();
});

type Order = {
  orderId: string;
  status: string;
  customer: { id: string; email: string; name: string };
  total: Money;
  refunded: Money;
  shippingOption: string;
  returns: { returnId: string; status: string; items: { quantity: number }[] }[];
  timeline: { status: string }[];
  shipments: { trackingNumber: string }[];
  createdAt: string;
};
type Profile = {
  customerId: string;
  email: string;
  name: string;
  emails: string[];
  orders: number;
  paidOrders: number;
  lifetimeValue: Money;
  lifetimeValues: Money[];
  returns: number;
  returnedUnits: number;
  lastOrderAt: string;
  firstOrderAt: string;
  preferredShippingOption: string;
  storefronts: string[];
};
type ErrorBody = { error: { code: string; message: string; details: { path: string }[]; requestId: string } };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const OTHER_STOREFRONT = `profiles-shop-${process.pid}`;
let otherStorefront: string;
beforeAll(async () => {
  const { secret, record } = generateApiKey({ scope: 'storefront', storefrontId: OTHER_STOREFRONT });
  await new DynamoApiKeyRepository(cloud.tableName, documentClient).create(record);
  otherStorefront = secret;
});

/** A product with its own barcode, 20 units in stock. */
async function product(price: number): Promise<{ sku: string; barcode: string }> {
  const sku = uniqueSku('CRM');
  const barcode = uniqueBarcode();
  await api('PUT', `/products/${sku}`, {
    key: ops,
    body: { name: `Profile test ${sku}`, price: { amount: price, currency: 'EUR' }, barcode, weightGrams: 300 },
  });
  await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: 20, reason: 'test' } });
  return { sku, barcode };
}

let sequence = 0;
/** Places an order for the customer at a storefront (its key). */
async function place(
  customer: { id: string; email: string; name: string },
  items: { sku: string; quantity: number }[],
  options: { key?: string; shippingOption?: string; token?: string } = {},
): Promise<string> {
  const placed = await api<{ orderId: string }>('POST', '/orders', {
    key: options.key ?? storefront,
    headers: { 'idempotency-key': `crm-${process.pid}-${Date.now().toString(36)}-${++sequence}` },
    body: {
      customer,
      items,
      shippingAddress: { name: customer.name, line1: '12 Analytical Row', city: 'London', postalCode: 'W1', country: 'GB' },
      shippingOption: options.shippingOption ?? 'express',
      payment: { token: options.token ?? 'tok_visa' },
    },
  });
  expect(placed.status).toBe(202);
  return placed.body.orderId;
}

async function pickTaskOf(orderId: string): Promise<Task> {
  for (let i = 0; i < 400; i++) {
    const { body } = await api<{ items: Task[] }>('GET', '/fulfillment/tasks?status=OPEN&limit=100', { key: warehouse });
    const task = body.items.find((candidate) => candidate.orderId === orderId);
    if (task) return task;
    await pause(50);
  }
  throw new Error(`no pick task for ${orderId}`);
}

/** Picks, packs, ships and delivers the order (one barcode per line). */
async function deliver(orderId: string, lines: { barcode: string; quantity: number }[]): Promise<void> {
  const task = await pickTaskOf(orderId);
  for (const line of lines)
    for (let unit = 0; unit < line.quantity; unit++)
      await api('POST', `/fulfillment/tasks/${task.taskId}/scans`, { key: warehouse, body: { barcode: line.barcode } });
  await api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 900 } });
  const shipped = await untilOrder(orderId, (order) => order.status === 'SHIPPED');
  const trackingNumber = shipped.shipments[0]?.trackingNumber as string;
  await postCarrierEvent({ eventId: `crm-dlv-${orderId}`, trackingNumber, status: 'DELIVERED', occurredAt: new Date().toISOString() });
  await untilOrder(orderId, (order) => order.status === 'DELIVERED');
}

/** Returns a unit of a delivered order, inspected DAMAGED (refunded, not restocked); waits for the refund. */
async function returnOne(orderId: string, sku: string): Promise<void> {
  const requested = await api<{ returnId: string }>('POST', `/orders/${orderId}/returns`, {
    key: storefront,
    body: { items: [{ sku, quantity: 1 }], reason: 'Arrived cracked' },
  });
  expect(requested.status).toBe(201);
  await api('POST', `/returns/${requested.body.returnId}/events`, {
    key: warehouse,
    body: { eventId: `crm-insp-${requested.body.returnId}`, type: 'INSPECTED', condition: 'DAMAGED' },
  });
  await untilOrder(orderId, (order) => (order as unknown as Order).returns?.[0]?.status === 'REFUNDED');
}

const orderOf = async (orderId: string) => (await api<Order>('GET', `/orders/${orderId}`, { key: ops })).body;
const profileOf = (customerId: string) => api<Profile & ErrorBody>('GET', `/customers/${encodeURIComponent(customerId)}`, { key: ops });

/** What the profile must say, computed from the orders themselves (paid: the order was CONFIRMED at some point). */
function expectedProfile(customerId: string, orders: Order[]): Profile {
  const latestFirst = [...orders].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.orderId.localeCompare(a.orderId));
  const latest = latestFirst[0] as Order;
  const paid = orders.filter((order) => order.status !== 'REJECTED' && order.timeline.some((entry) => entry.status === 'CONFIRMED'));
  const value = paid.reduce((sum, order) => sum + order.total.amount - order.refunded.amount, 0);
  const uses = new Map<string, number>();
  for (const order of orders) uses.set(order.shippingOption, (uses.get(order.shippingOption) ?? 0) + 1);
  const most = Math.max(...uses.values());
  return {
    customerId,
    email: latest.customer.email,
    name: latest.customer.name,
    emails: [...new Set(latestFirst.map((order) => order.customer.email))],
    orders: orders.length,
    paidOrders: paid.length,
    lifetimeValue: { amount: value, currency: 'EUR' },
    lifetimeValues: [{ amount: value, currency: 'EUR' }],
    returns: orders.reduce((sum, order) => sum + order.returns.length, 0),
    returnedUnits: orders.reduce((sum, order) => sum + order.returns.flatMap((r) => r.items).reduce((n, item) => n + item.quantity, 0), 0),
    lastOrderAt: latest.createdAt,
    firstOrderAt: (latestFirst.at(-1) as Order).createdAt,
    preferredShippingOption: latestFirst.find((order) => uses.get(order.shippingOption) === most)?.shippingOption as string,
    storefronts: [DEMO_STOREFRONT, OTHER_STOREFRONT].sort(),
  };
}

/** Waits until the profile (projected from the stream, so a moment behind) equals `expected`; returns the last answer. */
async function untilProfile(customerId: string, expected: Profile): Promise<Profile> {
  let last = (await profileOf(customerId)).body;
  for (let i = 0; i < 300 && JSON.stringify(last) !== JSON.stringify(expected); i++) {
    await pause(100);
    last = (await profileOf(customerId)).body;
  }
  return last;
}

/**
 * Every record the table's stream holds for an item, oldest first, read with the DynamoDB Streams API and shaped as
 * Lambda delivers it (by the local cloud's own poller code).
 */
async function streamRecordsOf(key: { pk: string; sk: string }): Promise<DynamoDBRecord[]> {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: cloud.tableName }));
  const streamArn = Table?.LatestStreamArn as string;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const found: StreamRecord[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    // An open shard always answers with a next iterator: a few empty pages in a row mean we are at its end.
    for (let empty = 0; iterator && empty < 3; ) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const records = page.Records ?? [];
      found.push(...records.filter((record) => record.dynamodb?.Keys?.pk?.S === key.pk && record.dynamodb?.Keys?.sk?.S === key.sk));
      empty = records.length ? 0 : empty + 1;
      iterator = page.NextShardIterator;
    }
  }
  return found
    .sort((a, b) => (BigInt(a.dynamodb?.SequenceNumber ?? 0) < BigInt(b.dynamodb?.SequenceNumber ?? 0) ? -1 : 1))
    .map((record) => lambdaRecord(record, streamArn) as DynamoDBRecord);
}

/**
 * The project-customers function's own handler, run in this process against the local cloud's table: how a test
 * delivers records again (a redelivery, a replay from the failure queue, records out of order).
 */
async function projectCustomersHandler() {
  Object.assign(process.env, {
    TABLE_NAME: cloud.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.dynamodb,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { handler } = await import('../../lambdas/project-customers/handler.js');
  const context = {
    functionName: 'project-customers',
    awsRequestId: `replay-${process.pid}`,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:project-customers',
    memoryLimitInMB: '512',
    getRemainingTimeInMillis: () => 30_000,
  } as Context;
  return (records: DynamoDBRecord[]) =>
    handler({ Records: records } satisfies DynamoDBStreamEvent, context) as Promise<{ batchItemFailures: unknown[] }>;
}

describe('GET /customers/{customerId}', () => {
  const customerId = `crm-${process.pid}-${Date.now().toString(36)}`;
  const orders: Record<'returned' | 'cancelled' | 'rejected' | 'open', string> = { returned: '', cancelled: '', rejected: '', open: '' };

  it("profiles a customer's orders across two storefronts: paid, returned, cancelled, rejected; the profile matches the orders", async () => {
    // Arrange: four orders of one customer, the last one from another storefront with a new email
    const earlier = { id: customerId, email: `${customerId}@old.example`, name: 'Ada Lovelace' };
    const now = { id: customerId, email: `${customerId}@example.com`, name: 'Ada King' };
    const [mug, tea] = [await product(1499), await product(333)];

    orders.returned = await place(earlier, [
      { sku: mug.sku, quantity: 2 },
      { sku: tea.sku, quantity: 1 },
    ]);
    await deliver(orders.returned, [
      { barcode: mug.barcode, quantity: 2 },
      { barcode: tea.barcode, quantity: 1 },
    ]);
    await returnOne(orders.returned, mug.sku);

    orders.cancelled = await place(earlier, [{ sku: tea.sku, quantity: 3 }], { shippingOption: 'standard' });
    await pickTaskOf(orders.cancelled);
    expect((await api('POST', `/orders/${orders.cancelled}/cancel`, { key: storefront, body: {} })).status).toBe(202);
    await untilOrder(orders.cancelled, (order) => order.status === 'CANCELLED', 600);

    orders.rejected = await place(earlier, [{ sku: mug.sku, quantity: 1 }], { key: otherStorefront, token: 'tok_declined' });
    await untilOrder(orders.rejected, (order) => order.status === 'REJECTED');

    orders.open = await place(now, [{ sku: mug.sku, quantity: 1 }], { key: otherStorefront });
    await pickTaskOf(orders.open);

    // Act
    const placed = await Promise.all(Object.values(orders).map(orderOf));
    const expected = expectedProfile(customerId, placed);
    const profile = await untilProfile(customerId, expected);

    // Assert: the orders are what the test made them, and the profile agrees with them
    expect(placed.map((order) => order.status)).toEqual(['DELIVERED', 'CANCELLED', 'REJECTED', 'FULFILLING']);
    expect(expected).toMatchObject({ orders: 4, paidOrders: 3, returns: 1, returnedUnits: 1, preferredShippingOption: 'express' });
    expect(expected.lifetimeValue.amount).toBeGreaterThan(0);
    expect(profile).toEqual(expected);
    expect(profile.email).toBe(now.email);
    expect(profile.emails).toEqual([now.email, earlier.email]);
  }, 150_000);

  it('changes nothing when the stream delivers records again: all of them, twice, newest first, and one at a time', async () => {
    // Arrange: the records the stream holds for the returned order (placement, workflow steps, capture, return, refund)
    const before = (await profileOf(customerId)).body;
    expect(before.orders).toBe(4);
    const lambdaRecords = (await streamRecordsOf(keys.order(orders.returned))).filter((record) => record.dynamodb?.NewImage);
    expect(lambdaRecords.length).toBeGreaterThan(5);
    const project = await projectCustomersHandler();
    const contributionKey = keys.customerProfileOrder(customerId, orders.returned);
    const stored = async () => (await documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: contributionKey }))).Item;
    const contribution = await stored();
    // The oldest record is the order as placed: written unconditionally, it would take the order's value and return away.
    expect(lambdaRecords[0]?.dynamodb?.NewImage?.status?.S).toBe('PENDING');
    expect(contribution).toMatchObject({ status: 'DELIVERED', returns: 1 });

    // Act
    const answers = [
      await project([...lambdaRecords, ...lambdaRecords]),
      await project([...lambdaRecords].reverse()),
      ...(await Promise.all(lambdaRecords.map((record) => project([record])))),
    ];

    // Assert
    expect(answers.every((answer) => answer.batchItemFailures.length === 0)).toBe(true);
    expect(await stored()).toEqual(contribution);
    expect((await profileOf(customerId)).body).toEqual(before);
  });

  it('answers ops only: 404 for a customer without orders, 422 for an id no storefront can send, 403 for a storefront', async () => {
    // Act
    const unknown = await profileOf(`nobody-${customerId}`);
    const tooLong = await profileOf('c'.repeat(129));
    const asStorefront = await api<ErrorBody>('GET', `/customers/${customerId}`, { key: storefront });

    // Assert
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [expect.objectContaining({ path: 'path.customerId' })],
    });
    expect(asStorefront.status).toBe(403);
  });
});
