import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoApiKeyRepository } from '../../lambdas/adapters/api-key-repository.js';
import { SqsQueueAdmin } from '../../lambdas/adapters/sqs-queue-admin.js';
import { generateApiKey } from '../../lambdas/domain/api-keys.js';
import { api, cloud, documentClient, uniqueBarcode, uniqueSku } from './client.js';
import { shippedOrder, untilOrder } from './lifecycle.js';

const { ops, storefront } = cloud.keys;
const sqs = new SQSClient({ endpoint: cloud.sqs, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
afterAll(() => sqs.destroy());

type Order = { orderId: string; status: string; customer: { id: string }; createdAt: string; updatedAt: string };
type OrderPage = { items: Order[]; nextCursor: string | null };
type ErrorBody = { error: { code: string; message: string; details: { path: string }[] } };
type Execution = { orderId: string; executionArn: string; status: string; startDate: string; stopDate?: string };

const tag = `${process.pid}-${Date.now().toString(36)}`;

/** Every page of a list, following nextCursor to its end (at most `maxPages`). */
async function allPages<T>(route: string, maxPages = 50): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = '';
  let pages = 0;
  for (; cursor !== null && pages < maxPages; pages++) {
    const page: { status: number; body: { items: T[]; nextCursor: string | null } } = await api('GET', `${route}&cursor=${cursor}`, {
      key: ops,
    });
    expect(page.status, route).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  }
  expect(cursor, `${route}: the list ends`).toBeNull();
  return { items, pages };
}

const ids = (orders: { orderId: string }[]) => orders.map((order) => order.orderId);

describe('GET /ops/orders', () => {
  // A storefront of this test's own, so its lists hold exactly the orders placed here.
  const storefrontId = `ops-list-${tag}`;
  const customerA = `ops-a-${tag}`;
  const customerB = `ops-b-${tag}`;
  let placed: Order[] = [];

  beforeAll(async () => {
    const { secret, record } = generateApiKey({ scope: 'storefront', storefrontId });
    await new DynamoApiKeyRepository(cloud.tableName, documentClient).create(record);
    const sku = uniqueSku('OPS');
    await api('PUT', `/products/${sku}`, {
      key: ops,
      body: { name: 'Ops list mug', price: { amount: 1500, currency: 'EUR' }, barcode: uniqueBarcode(), weightGrams: 300 },
    });
    await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: 10, reason: 'test' } });
    // Oldest first: A (declined, so REJECTED), B, A.
    const orders = [
      { customer: customerA, token: 'tok_declined' },
      { customer: customerB, token: 'tok_visa' },
      { customer: customerA, token: 'tok_visa' },
    ];
    for (const [i, order] of orders.entries()) {
      const response = await api<{ orderId: string }>('POST', '/orders', {
        key: secret,
        headers: { 'idempotency-key': `ops-list-${tag}-${i}` },
        body: {
          customer: { id: order.customer, email: `${order.customer}@example.com`, name: 'Ada Lovelace' },
          items: [{ sku, quantity: 1 }],
          shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
          shippingOption: 'standard',
          payment: { token: order.token },
        },
      });
      expect(response.status).toBe(202);
      // A millisecond apart at least, so createdAt orders them.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Settled: the declined one REJECTED, the others waiting for the warehouse.
    const settled = async () =>
      (await api<OrderPage>('GET', `/ops/orders?storefrontId=${storefrontId}`, { key: ops })).body.items.filter((order) =>
        ['REJECTED', 'FULFILLING'].includes(order.status),
      ).length === 3;
    for (let i = 0; i < 400 && !(await settled()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    placed = (await api<OrderPage>('GET', `/ops/orders?storefrontId=${storefrontId}`, { key: ops })).body.items;
  });

  it("lists a storefront's orders newest first, each as GET /orders/{orderId} shows it to ops", async () => {
    expect(placed.map((order) => [order.customer.id, order.status])).toEqual([
      [customerA, 'FULFILLING'],
      [customerB, 'FULFILLING'],
      [customerA, 'REJECTED'],
    ]);
    for (const order of placed) expect(order).toEqual((await api('GET', `/orders/${order.orderId}`, { key: ops })).body);
  });

  it('pages a filtered list one order at a time to a null cursor', async () => {
    const { items, pages } = await allPages<Order>(`/ops/orders?storefrontId=${storefrontId}&limit=1`);

    expect(ids(items)).toEqual(ids(placed));
    expect(pages).toBe(3);
  });

  it('filters by customer and status, with and without the storefront, through each index', async () => {
    const [newestA, b, oldestA] = placed as [Order, Order, Order];
    const list = async (query: string) => ids((await allPages<Order>(`/ops/orders?${query}`)).items);

    // gsi2 (storefront and customer), gsi1 (storefront) with a status, gsi3 (status), gsi4 (days, with a customer).
    expect(await list(`storefrontId=${storefrontId}&customerId=${customerA}`)).toEqual(ids([newestA, oldestA]));
    expect(await list(`storefrontId=${storefrontId}&customerId=${customerA}&status=REJECTED`)).toEqual(ids([oldestA]));
    expect(await list(`storefrontId=${storefrontId}&status=FULFILLING`)).toEqual(ids([newestA, b]));
    expect(await list(`status=REJECTED&customerId=${customerA}`)).toEqual(ids([oldestA]));
    expect(await list(`customerId=${customerA}`)).toEqual(ids([newestA, oldestA]));
    expect(await list(`customerId=${customerB}&status=REJECTED`)).toEqual([]);
  });

  it('bounds createdAt with from and to, as date-times or whole days', async () => {
    const [newestA, b, oldestA] = placed as [Order, Order, Order];
    const list = async (query: string) => ids((await allPages<Order>(`/ops/orders?storefrontId=${storefrontId}&${query}`)).items);
    const day = (offset: number) => new Date(Date.parse(b.createdAt) + offset * 86_400_000).toISOString().slice(0, 10);

    expect(await list(`from=${b.createdAt}`)).toEqual(ids([newestA, b]));
    expect(await list(`to=${b.createdAt}`)).toEqual(ids([b, oldestA]));
    expect(await list(`from=${b.createdAt}&to=${b.createdAt}`)).toEqual(ids([b]));
    // An offset is the same instant: an hour east of UTC.
    const east = new Date(Date.parse(b.createdAt) + 3_600_000).toISOString().replace('Z', '+01:00');
    expect(await list(`from=${encodeURIComponent(east)}`)).toEqual(ids([newestA, b]));
    expect(await list(`from=${day(-1)}&to=${day(1)}`)).toEqual(ids(placed));
    expect(await list(`to=${day(-1)}`)).toEqual([]);
    expect(await list(`status=REJECTED&from=${oldestA.createdAt}&to=${oldestA.createdAt}`)).toEqual(ids([oldestA]));
  });

  it('lists every storefront’s orders newest first without filters, within the default window', async () => {
    const first = (await allPages<Order>('/ops/orders?limit=100', 1000)).items;

    expect(ids(first)).toEqual(expect.arrayContaining(ids(placed)));
    expect(first.map((order) => order.createdAt)).toEqual(
      first
        .map((order) => order.createdAt)
        .sort()
        .reverse(),
    );
    expect(new Set(ids(first)).size).toBe(first.length);
  });

  it('stops a page after a bounded number of reads over empty days, and its cursor goes on to the end', async () => {
    // A year back: more days than one page reads, almost all of them without orders.
    const from = new Date(Date.now() - 360 * 86_400_000).toISOString().slice(0, 10);
    const firstPage = await api<OrderPage>('GET', `/ops/orders?customerId=${customerA}&from=${from}`, { key: ops });
    const { items, pages } = await allPages<Order>(`/ops/orders?customerId=${customerA}&from=${from}`);

    expect(ids(firstPage.body.items)).toEqual(ids([placed[0] as Order, placed[2] as Order]));
    expect(firstPage.body.nextCursor).toEqual(expect.any(String));
    expect(ids(items)).toEqual(ids(firstPage.body.items));
    expect(pages).toBeGreaterThan(10);
  });

  it('answers bad filters with 422 naming the field', async () => {
    const failure = async (query: string) => {
      const response = await api<ErrorBody>('GET', `/ops/orders?${query}`, { key: ops });
      return [response.status, response.body.error.details.map((detail) => detail.path)];
    };
    const otherList = (await api<OrderPage>('GET', `/ops/orders?storefrontId=${storefrontId}&limit=1`, { key: ops })).body.nextCursor;

    expect(await failure('from=2026-05-02&to=2026-05-01')).toEqual([422, ['query.to']]);
    expect(await failure('status=LOST')).toEqual([422, ['query.status']]);
    expect(await failure('from=yesterday')).toEqual([422, ['query.from']]);
    expect(await failure('from=2026-02-30')).toEqual([422, ['query.from']]);
    expect(await failure('from=2020-01-01&to=2026-01-01')).toEqual([422, ['query.from']]);
    expect(await failure(`customerId=${customerA}&cursor=${otherList}`)).toEqual([422, ['query.cursor']]);
    expect((await api('GET', '/ops/orders', { key: storefront })).status).toBe(403);
  });
});

describe('GET /ops/executions', () => {
  it('lists the workflow’s executions newest first, each named by its order, filtered by status', async () => {
    const page = await api<{ items: Execution[]; nextCursor: string | null }>('GET', '/ops/executions?limit=10', { key: ops });
    const running = await api<{ items: Execution[] }>('GET', '/ops/executions?status=RUNNING&limit=100', { key: ops });

    expect(page.status).toBe(200);
    expect(page.body.items.length).toBeGreaterThan(0);
    for (const execution of page.body.items) {
      expect(execution.executionArn.endsWith(`:${execution.orderId}`)).toBe(true);
      expect(execution.orderId).toMatch(/^ord_/);
    }
    const starts = page.body.items.map((execution) => execution.startDate);
    expect(starts).toEqual([...starts].sort().reverse());
    expect(running.body.items.every((execution) => execution.status === 'RUNNING' && execution.stopDate === undefined)).toBe(true);
  });

  it('shows an order’s execution with the status GET /ops/orders/{orderId}/execution reports', async () => {
    const { orderId } = await shippedOrder();
    const execution = (await api<{ status: string; executionArn: string }>('GET', `/ops/orders/${orderId}/execution`, { key: ops })).body;

    const { items } = await allPages<Execution>(`/ops/executions?status=${execution.status}&limit=100`, 100);

    expect(items.find((item) => item.orderId === orderId)).toMatchObject({
      executionArn: execution.executionArn,
      status: execution.status,
    });
  });

  it('pages with a cursor bound to its status, and refuses it for another', async () => {
    const first = await api<{ items: Execution[]; nextCursor: string }>('GET', '/ops/executions?limit=1', { key: ops });
    const second = await api<{ items: Execution[] }>('GET', `/ops/executions?limit=1&cursor=${first.body.nextCursor}`, { key: ops });
    const misused = await api<ErrorBody>('GET', `/ops/executions?status=FAILED&cursor=${first.body.nextCursor}`, { key: ops });
    const badStatus = await api<ErrorBody>('GET', '/ops/executions?status=DONE', { key: ops });

    expect(second.body.items[0]?.executionArn).not.toBe(first.body.items[0]?.executionArn);
    expect(Date.parse(second.body.items[0]?.startDate ?? '')).toBeLessThanOrEqual(Date.parse(first.body.items[0]?.startDate ?? ''));
    expect([misused.status, misused.body.error.details[0]?.path]).toEqual([422, 'query.cursor']);
    expect([badStatus.status, badStatus.body.error.details[0]?.path]).toEqual([422, 'query.status']);
  });
});

describe('the queues', () => {
  type Depth = { name: string; messages: number; inFlight: number; deadLetters: number; redrivable: boolean };
  const depths = async () => (await api<{ items: Depth[] }>('GET', '/ops/queues', { key: ops })).body.items;
  const carrierDlqUrl = async () =>
    ((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'Conveyor-MessagingCarrierEventsDlq' }))).QueueUrls ?? [])[0] as string;

  it('shows each queue with its depths; stream-failures is its own dead-letter queue and not redrivable', async () => {
    const items = await depths();

    expect(items.map((item) => [item.name, item.redrivable])).toEqual([
      ['carrier-events', true],
      ['return-events', true],
      ['stream-failures', false],
    ]);
    for (const item of items) for (const count of [item.messages, item.inFlight, item.deadLetters]) expect(count).toBeGreaterThanOrEqual(0);
    expect(items[2]).toMatchObject({ messages: 0, inFlight: 0 });
  });

  it('redrives a carrier event from the DLQ back to its queue, where it is processed', async () => {
    // Arrange: a sound event that (as if its consumer had been failing) sits in the DLQ.
    const { orderId, trackingNumber } = await shippedOrder();
    const event = { eventId: `evt-redrive-${tag}`, trackingNumber, status: 'PICKED_UP', occurredAt: new Date().toISOString() };
    await sqs.send(new SendMessageCommand({ QueueUrl: await carrierDlqUrl(), MessageBody: JSON.stringify(event) }));
    const before = (await depths()).find((item) => item.name === 'carrier-events');

    // Act
    const redrive = await api<{ name: string; moved: number }>('POST', '/ops/queues/carrier-events/redrive', { key: ops });

    // Assert
    expect(before?.deadLetters).toBeGreaterThanOrEqual(1);
    expect(redrive.status).toBe(202);
    expect(redrive.body.name).toBe('carrier-events');
    expect(redrive.body.moved).toBeGreaterThanOrEqual(1);
    const order = await untilOrder(orderId, (candidate) => candidate.shipments[0]?.status === 'PICKED_UP');
    expect(order.shipments[0]?.events.map((item) => item.status)).toEqual(['PICKED_UP']);
  });

  it('refuses stream-failures with 409 pointing to the runbook, an unknown queue with 404, and other scopes with 403', async () => {
    const streamFailures = await api<ErrorBody>('POST', '/ops/queues/stream-failures/redrive', { key: ops });
    const unknown = await api<ErrorBody>('POST', '/ops/queues/no-such-queue/redrive', { key: ops });
    const byStorefront = await api('POST', '/ops/queues/carrier-events/redrive', { key: storefront });
    const listByStorefront = await api('GET', '/ops/queues', { key: storefront });

    expect([streamFailures.status, streamFailures.body.error.code]).toEqual([409, 'NOT_REDRIVABLE']);
    expect(streamFailures.body.error.message).toContain('docs/runbook.md');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect([byStorefront.status, listByStorefront.status]).toEqual([403, 403]);
  });

  it('moves dead letters with their bodies and attributes, at most the number asked per call (the adapter on the local SQS)', async () => {
    // Arrange: a queue and a DLQ of this test's own, twelve dead letters with an attribute each.
    const create = async (name: string) =>
      (await sqs.send(new CreateQueueCommand({ QueueName: `redrive-${tag}-${name}` }))).QueueUrl as string;
    const [url, dlqUrl, failuresUrl] = [await create('queue'), await create('dlq'), await create('failures')];
    for (let i = 0; i < 12; i++) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: JSON.stringify({ n: i }),
          MessageAttributes: { origin: { DataType: 'String', StringValue: `message-${i}` } },
        }),
      );
    }
    const admin = new SqsQueueAdmin(
      { 'carrier-events': { url, dlqUrl }, 'return-events': { url, dlqUrl }, 'stream-failures': { dlqUrl: failuresUrl } },
      sqs,
    );

    try {
      // Act
      const firstCall = await admin.redrive('carrier-events', 5);
      const secondCall = await admin.redrive('carrier-events', 100);
      const received = [];
      for (let i = 0; i < 10 && received.length < 12; i++) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
        );
        received.push(...Messages);
      }
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );

      // Assert
      expect([firstCall, secondCall]).toEqual([5, 7]);
      expect(received.map((message) => [message.Body, message.MessageAttributes?.origin?.StringValue]).sort()).toEqual(
        Array.from({ length: 12 }, (_, i) => [JSON.stringify({ n: i }), `message-${i}`]).sort(),
      );
      expect([Attributes?.ApproximateNumberOfMessages, Attributes?.ApproximateNumberOfMessagesNotVisible]).toEqual(['0', '0']);
    } finally {
      for (const queue of [url, dlqUrl, failuresUrl]) await sqs.send(new DeleteQueueCommand({ QueueUrl: queue }));
    }
  });
});
