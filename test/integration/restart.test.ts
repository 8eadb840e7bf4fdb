import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { gtinCheckDigit } from '../../lambdas/domain/gtin.js';
import type { Endpoints } from '../../local/cloud.js';
import { freePortBlock, isAlive } from '../../local/processes.js';
import { killStarted, startNpm, untilUp } from './npm-start-process.js';

// `npm start` stopped while orders are in flight, then started again: by Ctrl-C (it drains) and by
// SIGKILL (a crash: its DynamoDB Local JVM is orphaned). Each run has its own state folder and ports.

const ORDERS = 36;
/** Orders are posted this far apart, overlapping in flight, so the stop finds them at every step of the workflow. */
const STAGGER_MS = 60;
/** Ctrl-C (or SIGKILL) once this many orders have been accepted: the rest are still in flight. */
const STOP_AFTER = 24;
const SETTLE_MS = 60_000;
/** Where an order may rest: final, waiting for the warehouse, or held for an ops review. */
const RESTING = new Set(['REJECTED', 'FULFILLING', 'ON_HOLD']);
const HOLDS_STOCK = new Set(['CONFIRMED', 'FULFILLING', 'PACKED']);
const LIVE = new Set(['CONFIRMED', 'FULFILLING', 'PACKED', 'SHIPPED', 'DELIVERED']);

interface Order {
  orderId: string;
  status: string;
  items: { sku: string; quantity: number }[];
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  killStarted();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms))]);
}

function client(endpoints: Endpoints) {
  return async <T>(method: string, route: string, key: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${endpoints.api}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

/** Products with plenty of stock, and their barcodes for the warehouse. */
async function stockedProducts(endpoints: Endpoints, tag: string): Promise<{ sku: string; barcode: string }[]> {
  const call = client(endpoints);
  const products = [0, 1, 2].map((i) => {
    const payload = `21${String(Date.now() % 1e8).padStart(8, '0')}${i}${tag === 'kill' ? 1 : 0}`;
    return { sku: `RESTART-${tag}-${i}`, barcode: `${payload}${gtinCheckDigit(payload)}` };
  });
  for (const { sku, barcode } of products) {
    const put = await call('PUT', `/products/${sku}`, endpoints.keys.ops, {
      name: `Restart test ${sku}`,
      price: { amount: 1500, currency: 'EUR' },
      barcode,
      weightGrams: 300,
    });
    expect(put.status).toBe(200);
    const stocked = await call('POST', `/inventory/${sku}/adjustments`, endpoints.keys.ops, { delta: 500, reason: 'restart test' });
    expect(stocked.status).toBe(200);
  }
  return products;
}

/** Most cards approve; some decline, some time out at the gateway (retried, then voided), some go to review. */
const tokenFor = (i: number) => ['tok_visa', 'tok_visa', 'tok_visa', 'tok_declined', 'tok_gateway_timeout', 'tok_fraud_review'][i % 6];

/** Posts the orders (each STAGGER_MS after the last) and stops the local cloud once `STOP_AFTER` have been accepted. */
async function ordersInterruptedBy(endpoints: Endpoints, skus: string[], interrupt: () => void) {
  const call = client(endpoints);
  const accepted: string[] = [];
  let refused = 0;
  let unanswered = 0;
  let interrupted = false;
  await Promise.all(
    Array.from({ length: ORDERS }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * STAGGER_MS));
      const body = {
        customer: { id: `restart-${i}`, email: `restart-${i}@example.com`, name: 'Ada' },
        items: [{ sku: skus[i % skus.length] as string, quantity: 1 + (i % 3) }],
        shippingAddress: { name: 'Ada', line1: '1 Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
        shippingOption: 'standard',
        payment: { token: tokenFor(i) },
      };
      try {
        const placed = await call<{ orderId?: string; error?: { code: string; requestId: string } }>(
          'POST',
          '/orders',
          endpoints.keys.storefront,
          body,
          { 'idempotency-key': `restart-${i}` },
        );
        if (placed.status === 202 && placed.body.orderId) accepted.push(placed.body.orderId);
        else if (placed.status === 503) {
          expect(placed.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', requestId: expect.any(String) });
          refused++;
        } else throw new Error(`POST /orders answered ${placed.status}: ${JSON.stringify(placed.body)}`);
      } catch (error) {
        // The listener closed (a stop) or the process died (a crash) before this order was answered.
        if (!(error instanceof TypeError)) throw error;
        unanswered++;
      }
      if (!interrupted && accepted.length >= STOP_AFTER) {
        interrupted = true;
        interrupt();
      }
    }),
  );
  return { accepted, refused, unanswered };
}

async function allOrders(endpoints: Endpoints): Promise<Order[]> {
  const call = client(endpoints);
  const orders: Order[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = await call<{ items: Order[]; nextCursor: string | null }>('GET', `/orders?limit=100${query}`, endpoints.keys.storefront);
    if (page.status !== 200) throw new Error(`GET /orders answered ${page.status}: ${JSON.stringify(page.body)}`);
    orders.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return orders;
}

/**
 * Polls until every accepted order rests, and every other order too (one the stop cut off before its 202
 * may still have a workflow) unless its workflow was never started: that one is the reconciler's, and
 * holds no stock. Returns how long it took, the orders, and how many never got a workflow.
 */
async function untilSettled(endpoints: Endpoints, accepted: string[]): Promise<{ ms: number; orders: Order[]; withoutWorkflow: number }> {
  const call = client(endpoints);
  const started = Date.now();
  const withoutWorkflow = new Set<string>();
  let unsettled: Order[] = [];
  while (Date.now() - started < SETTLE_MS) {
    const orders = await allOrders(endpoints);
    unsettled = orders.filter((order) => !RESTING.has(order.status) && !withoutWorkflow.has(order.orderId));
    for (const order of unsettled.filter((candidate) => !accepted.includes(candidate.orderId) && candidate.status === 'PENDING')) {
      const execution = await call('GET', `/ops/orders/${order.orderId}/execution`, endpoints.keys.ops);
      if (execution.status === 404) withoutWorkflow.add(order.orderId);
    }
    unsettled = unsettled.filter((order) => !withoutWorkflow.has(order.orderId));
    if (!unsettled.length && accepted.every((orderId) => orders.some((order) => order.orderId === orderId))) {
      return { ms: Date.now() - started, orders, withoutWorkflow: withoutWorkflow.size };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Not settled after ${SETTLE_MS / 1000} s: ${unsettled.map((order) => `${order.orderId} ${order.status}`).join(', ')}`);
}

/**
 * A resting order's workflow must rest with it: one that waits (ON_HOLD, FULFILLING) still RUNNING, for
 * its review or pick task to be answered; a REJECTED one finished. Otherwise the order only looks settled.
 */
async function stuckWorkflows(endpoints: Endpoints, orders: Order[], accepted: string[]): Promise<string[]> {
  const call = client(endpoints);
  const stuck: string[] = [];
  for (const order of orders.filter((candidate) => accepted.includes(candidate.orderId))) {
    const { body } = await call<{ status: string }>('GET', `/ops/orders/${order.orderId}/execution`, endpoints.keys.ops);
    const expected = order.status === 'REJECTED' ? 'SUCCEEDED' : 'RUNNING';
    if (body.status !== expected) stuck.push(`${order.orderId} ${order.status}: workflow ${body.status}`);
  }
  return stuck;
}

/** Payments the sandbox gateway keeps (pk PAYMENT#<orderId>): none may stay authorized or captured for an order that is not live. */
async function openPaymentsOfDeadOrders(endpoints: Endpoints, orders: Order[]): Promise<string[]> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const statusOf = new Map(orders.map((order) => [order.orderId, order.status]));
  const open: string[] = [];
  const pages = paginateScan(
    { client: db },
    {
      TableName: endpoints.table,
      FilterExpression: 'begins_with(pk, :payment)',
      ExpressionAttributeValues: { ':payment': 'PAYMENT#' },
    },
  );
  for await (const page of pages) {
    for (const payment of page.Items ?? []) {
      const orderStatus = statusOf.get(payment.orderId as string) ?? 'UNKNOWN';
      if (payment.status !== 'VOIDED' && !LIVE.has(orderStatus)) open.push(`${payment.orderId} ${orderStatus}: payment ${payment.status}`);
    }
  }
  db.destroy();
  return open;
}

/** Asks for /health until the answer is no longer 200: while the local cloud drains, that is a 503 in Conveyor's envelope. */
async function firstRefusal(endpoints: Endpoints): Promise<{ status: number; body: unknown }> {
  for (;;) {
    const response = await fetch(`${endpoints.api}/health`);
    const body = (await response.json()) as unknown;
    if (response.status !== 200) return { status: response.status, body };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Per SKU: what the inventory says is reserved, and what the orders holding stock add up to. */
async function reservations(endpoints: Endpoints, skus: string[], orders: Order[]) {
  const call = client(endpoints);
  const result: Record<string, { reserved: number; held: number }> = {};
  for (const sku of skus) {
    const { body } = await call<{ reserved: number }>('GET', `/inventory/${sku}`, endpoints.keys.ops);
    const held = orders
      .filter((order) => HOLDS_STOCK.has(order.status))
      .flatMap((order) => order.items)
      .filter((item) => item.sku === sku)
      .reduce((total, item) => total + item.quantity, 0);
    result[sku] = { reserved: body.reserved, held };
  }
  return result;
}

/** The warehouse picks and packs one waiting order: its workflow's task token has to have survived the restart. */
async function pickAndPack(endpoints: Endpoints, order: Order, barcodes: Map<string, string>): Promise<string> {
  const call = client(endpoints);
  const { body } = await call<{ items: { taskId: string; orderId: string }[] }>(
    'GET',
    '/fulfillment/tasks?status=OPEN&limit=100',
    endpoints.keys.warehouse,
  );
  const task = body.items.find((candidate) => candidate.orderId === order.orderId);
  if (!task) throw new Error(`no open pick task for ${order.orderId}`);
  for (const item of order.items) {
    for (let unit = 0; unit < item.quantity; unit++) {
      const scan = await call('POST', `/fulfillment/tasks/${task.taskId}/scans`, endpoints.keys.warehouse, {
        barcode: barcodes.get(item.sku),
      });
      expect(scan.status).toBe(200);
    }
  }
  const complete = await call('POST', `/fulfillment/tasks/${task.taskId}/complete`, endpoints.keys.warehouse, { packageWeightGrams: 900 });
  expect(complete.status).toBe(202);
  for (let i = 0; i < 100; i++) {
    const { body: current } = await call<Order>('GET', `/orders/${order.orderId}`, endpoints.keys.storefront);
    if (current.status === 'SHIPPED') return current.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${order.orderId} did not ship after its pick task was completed`);
}

/** Ops approve one held order: the review wait's task token, stored on the order, has to have survived the restart. */
async function approve(endpoints: Endpoints, order: Order): Promise<string> {
  const call = client(endpoints);
  const decided = await call('POST', `/ops/orders/${order.orderId}/review`, endpoints.keys.ops, { decision: 'approve' });
  expect(decided.status).toBeLessThan(300);
  for (let i = 0; i < 100; i++) {
    const { body: current } = await call<Order>('GET', `/orders/${order.orderId}`, endpoints.keys.storefront);
    if (current.status === 'FULFILLING') return current.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${order.orderId} did not go on to FULFILLING after its approval`);
}

/** Whether the order's workflow has been waiting since before the restart: no task was scheduled after its redrive. */
async function waitingSinceBeforeTheStop(endpoints: Endpoints, order: Order): Promise<boolean> {
  const call = client(endpoints);
  const { body } = await call<{ events: { type: string }[] }>('GET', `/ops/orders/${order.orderId}/execution`, endpoints.keys.ops);
  const types = body.events.map((event) => event.type);
  return types.lastIndexOf('TaskScheduled') < types.lastIndexOf('ExecutionRedriven');
}

/** Approves a held order or picks a waiting one, preferring a wait that began before the stop; returns the status it reached. */
async function answerOneWait(endpoints: Endpoints, orders: Order[], barcodes: Map<string, string>) {
  const waits = orders.filter((order) => order.status === 'ON_HOLD' || order.status === 'FULFILLING');
  if (!waits.length) throw new Error('no accepted order waits for a review or the warehouse; the test needs one');
  let chosen = waits[0] as Order;
  let sinceBefore = false;
  for (const order of waits) {
    if (await waitingSinceBeforeTheStop(endpoints, order)) {
      [chosen, sinceBefore] = [order, true];
      break;
    }
  }
  console.log(
    `[restart] answering ${chosen.orderId} (${chosen.status}), waiting ${sinceBefore ? 'since before the stop' : 'since the restart'}`,
  );
  const kind = chosen.status;
  const status = kind === 'ON_HOLD' ? await approve(endpoints, chosen) : await pickAndPack(endpoints, chosen, barcodes);
  return { kind, status };
}

async function stopAndRestart(how: 'SIGINT' | 'SIGKILL') {
  const tag = how === 'SIGINT' ? 'int' : 'kill';
  const stateDir = mkdtempSync(path.join(tmpdir(), `conveyor-restart-${tag}-`));
  cleanups.push(() => {
    // A failed run may leave its JVM: the pid file names it.
    const pidFile = path.join(stateDir, 'dynamodb.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    // CONVEYOR_KEEP_STATE=1 keeps the data and the functions' logs for a look after a failed run.
    if (process.env.CONVEYOR_KEEP_STATE) console.log(`[restart ${how}] state and logs kept in ${stateDir}`);
    else rmSync(stateDir, { recursive: true, force: true });
  });
  const port = await freePortBlock(6);

  // Arrange: a local cloud with stock.
  const t0 = Date.now();
  const lap = (what: string) => console.log(`[restart ${how}] ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const first = startNpm(stateDir, port);
  const endpoints = await untilUp(first, stateDir);
  lap('up');
  const jvm = Number(readFileSync(path.join(stateDir, 'dynamodb.pid'), 'utf8'));
  const products = await stockedProducts(endpoints, tag);
  const skus = products.map((product) => product.sku);
  lap('stocked');

  // Act: orders in flight, then Ctrl-C (SIGINT to the process group, as a terminal sends it) or SIGKILL of node alone.
  let whileStopping: Promise<{ status: number; body: unknown }> | undefined;
  const placed = await ordersInterruptedBy(endpoints, skus, () => {
    if (how === 'SIGINT') {
      process.kill(-(first.child.pid as number), 'SIGINT');
      // Held as a value: the listener closing first would be an answer too, one the assertion below rejects.
      whileStopping = firstRefusal(endpoints).catch((error: Error) => ({ status: 0, body: `${error.message}: ${String(error.cause)}` }));
    } else first.child.kill('SIGKILL');
  });
  const stopping = Date.now();
  const code = await within(first.exit, 20_000, 'stopping');
  const stopMs = Date.now() - stopping;
  lap('stopped');
  const second = startNpm(stateDir, port);
  const restarted = await untilUp(second, stateDir);
  lap('up again');
  const settled = await untilSettled(restarted, placed.accepted);
  lap('settled');

  // Assert
  console.log(
    `[restart ${how}] ${ORDERS} orders posted: ${placed.accepted.length} accepted, ${placed.refused} refused with 503, ${placed.unanswered} unanswered; ` +
      `${settled.withoutWorkflow} written without a workflow; stopped in ${stopMs} ms; settled ${settled.ms} ms after the restart was up\n${first
        .output()
        .split('\n')
        .filter((line) => /SIGINT|•|Stopped/.test(line))
        .slice(-8)
        .join('\n')}\n` +
      second
        .output()
        .split('\n')
        .filter((line) => line.startsWith('•'))
        .join('\n'),
  );
  if (how === 'SIGINT') {
    expect(await whileStopping).toMatchObject({
      status: 503,
      body: { error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String), details: [], requestId: expect.any(String) } },
    });
    expect(code).toBe(0);
    expect(first.output()).toMatch(/Stopped \(DynamoDB Local last\)/);
    expect(isAlive(jvm)).toBe(false);
  } else {
    expect(code).toBeNull(); // killed by a signal
    expect(second.output()).toContain('did not shut down cleanly');
    expect(second.output()).toContain(`Stopping DynamoDB Local (pid ${jvm})`);
    expect(isAlive(jvm)).toBe(false);
  }
  expect(placed.accepted.length).toBeGreaterThanOrEqual(STOP_AFTER);
  expect(second.output()).toMatch(/Resumed \d+ workflow executions? interrupted by the last stop/);
  expect(await stuckWorkflows(restarted, settled.orders, placed.accepted)).toEqual([]);
  expect(await openPaymentsOfDeadOrders(restarted, settled.orders)).toEqual([]);
  for (const [sku, { reserved, held }] of Object.entries(await reservations(restarted, skus, settled.orders))) {
    expect({ sku, reserved }).toEqual({ sku, reserved: held });
  }
  // One wait is answered after the restart, preferably one the stop found waiting: its task token is the
  // one the workflow stored before the stop. A held order is approved, or else a waiting one picked.
  const accepted = settled.orders.filter((order) => placed.accepted.includes(order.orderId));
  const answered = await answerOneWait(restarted, accepted, new Map(products.map((product) => [product.sku, product.barcode])));
  expect(answered.status).toBe(answered.kind === 'ON_HOLD' ? 'FULFILLING' : 'SHIPPED');
  lap('a wait answered');

  // The second run is stopped by Ctrl-C too; in the crash case by two in a row, which must not wait and still stop the JVM.
  const secondJvm = Number(readFileSync(path.join(stateDir, 'dynamodb.pid'), 'utf8'));
  process.kill(-(second.child.pid as number), 'SIGINT');
  if (how === 'SIGINT') {
    expect(await within(second.exit, 20_000, 'stopping the second run')).toBe(0);
  } else {
    await new Promise((resolve) => setTimeout(resolve, 30));
    process.kill(-(second.child.pid as number), 'SIGINT');
    expect(await within(second.exit, 5_000, 'stopping at once')).toBe(130);
    expect(second.output()).toContain('SIGINT again: stopping at once');
  }
  expect(isAlive(secondJvm)).toBe(false);
}

describe('npm start stopped with orders in flight', () => {
  it(
    'Ctrl-C drains, exits 0, and the next start resumes every accepted order to a resting status',
    () => stopAndRestart('SIGINT'),
    150_000,
  );

  it(
    'after SIGKILL the next start stops the orphaned JVM, comes up and resumes every accepted order; two Ctrl-C stop at once',
    () => stopAndRestart('SIGKILL'),
    150_000,
  );
});
