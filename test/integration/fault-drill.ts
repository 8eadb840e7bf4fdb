import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoCatalogRepository } from '../../lambdas/adapters/catalog-repository.js';
import { keys } from '../../lambdas/adapters/keys.js';
import { pickTaskIdFor } from '../../lambdas/domain/fulfillment.js';
import { gtinCheckDigit } from '../../lambdas/domain/gtin.js';
import { signCarrierPayload } from '../../lambdas/domain/tracking.js';
import type { OrderWorkflow } from '../../lambdas/domain/workflow.js';
import type { Endpoints } from '../../local/cloud.js';

/**
 * The clients of the fault drill (test/integration/faults.test.ts): a storefront, ops, a warehouse and a
 * carrier that behave as real ones do against an API that fails now and then — a 5xx is retried with
 * the same Idempotency-Key (or event id), and a step that is not idempotent (a scan) is retried only
 * after looking at what the first attempt did.
 */

export interface DrillStats {
  requests: number;
  /** 5xx answers the clients retried. */
  retried5xx: number;
}

/** A storefront gives up on a request after this many 5xx answers in a row (at 10 % faults, about one in three fails once). */
const ATTEMPTS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DrillClient {
  readonly stats: DrillStats = { requests: 0, retried5xx: 0 };
  /** Reads the table directly (not through the faults), as the test's own eyes. */
  readonly db: DynamoDBDocumentClient;

  constructor(
    readonly cloud: Endpoints,
    /** The local cloud's function logs, quoted when a wait runs out. */
    private readonly logDir?: string,
  ) {
    this.db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: cloud.dynamodb,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
  }

  /**
   * One HTTP request; a 5xx (or a dropped connection) is retried with the very same request, up to 20
   * times, unless `once` (a request that is not idempotent: the caller looks before trying again).
   */
  async call<T = Record<string, unknown>>(
    method: string,
    route: string,
    options: {
      key?: string;
      body?: unknown;
      rawBody?: () => { body: string; headers: Record<string, string> };
      headers?: Record<string, string>;
      once?: boolean;
    },
  ): Promise<{ status: number; body: T }> {
    for (let attempt = 1; ; attempt++) {
      this.stats.requests++;
      const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
      if (options.key) headers.authorization = `Bearer ${options.key}`;
      const raw = options.rawBody?.();
      let response: Response | undefined;
      try {
        response = await fetch(`${this.cloud.api}${route}`, {
          method,
          headers: { ...headers, ...raw?.headers },
          body: raw?.body ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
        });
      } catch (error) {
        if (attempt === ATTEMPTS || options.once) throw error;
      }
      if (response && (response.status < 500 || attempt === ATTEMPTS || options.once)) {
        const text = await response.text();
        return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
      }
      await response?.body?.cancel();
      this.stats.retried5xx++;
      await sleep(Math.min(500, 20 * attempt));
    }
  }

  /** A product with a valid, unique EAN-13 and `units` on hand, put straight into the table (arranging, not under test). */
  async product(sku: string, units: number, n: number): Promise<{ sku: string; barcode: string }> {
    const payload = `29${String(Date.now() % 1e6).padStart(6, '0')}${String(n).padStart(4, '0')}`;
    const barcode = `${payload}${gtinCheckDigit(payload)}`;
    const catalog = new DynamoCatalogRepository(this.cloud.table, this.db);
    await catalog.putProduct(sku, { name: `Drill ${sku}`, price: { amount: 1250, currency: 'EUR' }, barcode, weightGrams: 300 });
    await catalog.adjustStock({ sku, delta: units, reason: 'fault drill', actor: 'test' });
    return { sku, barcode };
  }

  /** The orders' statuses, read straight from the table. */
  async statuses(orderIds: string[]): Promise<Map<string, { status: string; statusReason?: string }>> {
    const found = new Map<string, { status: string; statusReason?: string }>();
    for (let i = 0; i < orderIds.length; i += 100) {
      let request: Record<string, { Keys: object[]; ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> }> = {
        [this.cloud.table]: {
          Keys: orderIds.slice(i, i + 100).map((orderId) => keys.order(orderId)),
          ProjectionExpression: 'orderId, #status, statusReason',
          ExpressionAttributeNames: { '#status': 'status' },
        },
      };
      while (Object.keys(request).length) {
        const page = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of page.Responses?.[this.cloud.table] ?? [])
          found.set(item.orderId as string, { status: item.status as string, statusReason: item.statusReason as string | undefined });
        request = (page.UnprocessedKeys ?? {}) as typeof request;
      }
    }
    return found;
  }

  /** Picks every unit of the order's task, packs it, waits for the label, and has the carrier deliver it. */
  async shipAndDeliver(orderId: string, barcodes: Map<string, string>, deadline: number): Promise<string> {
    const { warehouse } = this.cloud.keys;
    const taskId = pickTaskIdFor(orderId);
    const task = await this.db.send(new GetCommand({ TableName: this.cloud.table, Key: keys.pickTask(taskId), ConsistentRead: true }));
    const lines = Object.values((task.Item?.lines ?? {}) as Record<string, { sku: string; quantity: number; picked: number }>);
    for (const line of lines) {
      // A scanner shows the count: a lost answer is followed by a look at the task, never by a blind rescan.
      for (let picked = line.picked; picked < line.quantity; ) {
        const scan = await this.call<{ lines?: { sku: string; picked: number }[] }>('POST', `/fulfillment/tasks/${taskId}/scans`, {
          key: warehouse,
          body: { barcode: barcodes.get(line.sku) },
          once: true,
        });
        if (scan.status >= 500) this.stats.retried5xx++;
        else if (scan.status !== 200 && scan.status !== 409)
          throw new Error(`scan of ${taskId} answered ${scan.status}: ${JSON.stringify(scan.body)}`);
        const now = await this.db.send(new GetCommand({ TableName: this.cloud.table, Key: keys.pickTask(taskId), ConsistentRead: true }));
        picked =
          Object.values((now.Item?.lines ?? {}) as Record<string, { sku: string; picked: number }>).find((l) => l.sku === line.sku)
            ?.picked ?? picked;
      }
    }
    const complete = await this.call('POST', `/fulfillment/tasks/${taskId}/complete`, {
      key: warehouse,
      body: { packageWeightGrams: 900 },
    });
    // 409 TASK_NOT_OPEN: an earlier attempt completed it and its answer was lost.
    if (complete.status !== 202 && complete.status !== 409) throw new Error(`complete of ${taskId} answered ${complete.status}`);
    const trackingNumber = await this.until(deadline, `order ${orderId} to ship`, async () => {
      const { Item } = await this.db.send(new GetCommand({ TableName: this.cloud.table, Key: keys.order(orderId), ConsistentRead: true }));
      return Item?.status === 'SHIPPED' ? ((Item.shipments as { trackingNumber: string }[])[0]?.trackingNumber ?? undefined) : undefined;
    });
    for (const [minute, status] of ['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED'].entries()) {
      const event = JSON.stringify({
        eventId: `drill-${orderId}-${status}`,
        trackingNumber,
        status,
        occurredAt: new Date(Date.UTC(2026, 10, 27, 9, minute)).toISOString(),
      });
      const posted = await this.call('POST', '/carrier/events', {
        rawBody: () => ({ body: event, headers: { 'x-conveyor-signature': signCarrierPayload(event, this.cloud.carrierSecret) } }),
      });
      if (posted.status !== 202) throw new Error(`carrier event for ${trackingNumber} answered ${posted.status}`);
    }
    return trackingNumber;
  }

  /**
   * Requests a return of the order's `items` once, as a storefront should: with an Idempotency-Key, so a retry after
   * a 5xx (whose answer may have been lost after the return was made) gets the same return, never a second one.
   */
  async requestReturn(orderId: string, items: { sku: string; quantity: number }[], reason: string): Promise<string> {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const answer = await this.call<{ returnId?: string }>('POST', `/orders/${orderId}/returns`, {
        key: this.cloud.keys.storefront,
        body: { items, reason },
        headers: { 'idempotency-key': `drill-return-${orderId}` },
        once: true,
      });
      if (answer.status === 201 && answer.body.returnId) return answer.body.returnId;
      if (answer.status < 500) throw new Error(`return of ${orderId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      this.stats.retried5xx++;
      await sleep(50 * attempt);
    }
    throw new Error(`return of ${orderId} kept failing`);
  }

  /** The warehouse receives and inspects a return (each event retried on a 5xx with its own eventId), then waits for the refund. */
  async receiveAndInspect(returnId: string, condition: 'RESELLABLE' | 'DAMAGED', deadline: number): Promise<{ amount: number }> {
    for (const type of ['RECEIVED', 'INSPECTED'] as const) {
      const posted = await this.call('POST', `/returns/${returnId}/events`, {
        key: this.cloud.keys.warehouse,
        body: { eventId: `drill-${returnId}-${type}`, type, ...(type === 'INSPECTED' ? { condition } : {}) },
      });
      if (posted.status !== 202) throw new Error(`return event for ${returnId} answered ${posted.status}`);
    }
    let last: Record<string, unknown> | undefined;
    try {
      return await this.until(deadline, `return ${returnId} to be refunded`, async () => {
        const { Item } = await this.db.send(
          new GetCommand({ TableName: this.cloud.table, Key: keys.returnRequest(returnId), ConsistentRead: true }),
        );
        last = Item;
        return Item?.status === 'REFUNDED' ? (Item.refund as { amount: number }) : undefined;
      });
    } catch (error) {
      // What a failed run needs to be understood from CI's output alone: where the return got to, and what its consumer said.
      const { status, condition, receivedAt, inspectedAt, restockedAt, refundedAt } = last ?? {};
      const state = JSON.stringify({ status, condition, receivedAt, inspectedAt, restockedAt, refundedAt });
      const trouble = this.logLines(/"level":"(ERROR|WARN)"|Task timed out/, 'process-return').slice(-10);
      const queues = await this.call('GET', '/ops/queues', { key: this.cloud.keys.ops }).catch((failure: Error) => failure.message);
      throw new Error(
        `${(error as Error).message}\nThe return: ${state}\nIts consumer's log:\n${this.logLines(returnId).join('\n')}\n` +
          `The consumer's last errors and timeouts:\n${trouble.join('\n') || '(none)'}\nThe queues: ${JSON.stringify(queues)}`,
      );
    }
  }

  /** Lines of the functions' logs that mention `marker` (the last 30), when the drill knows where the logs are. */
  logLines(marker: string | RegExp, file = ''): string[] {
    if (!this.logDir) return ['(no log folder given)'];
    const lines: string[] = [];
    for (const name of readdirSync(this.logDir).filter((candidate) => candidate.includes(file))) {
      for (const line of readFileSync(path.join(this.logDir, name), 'utf8').split('\n')) {
        if (typeof marker === 'string' ? line.includes(marker) : marker.test(line)) lines.push(`${name}: ${line.slice(0, 600)}`);
      }
    }
    return lines.slice(-30);
  }

  async until<T>(deadline: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
    while (Date.now() < deadline) {
      const value = await probe();
      if (value !== undefined) return value;
      await sleep(100);
    }
    throw new Error(`The drill ran out of time waiting for ${what}; CONVEYOR_KEEP_STATE=1 keeps the functions' logs.`);
  }
}

/** What the workflow met on the way: every task error in the orders' run histories, by name, and how often a run failed (and was redriven). */
export async function workflowErrors(workflow: Pick<OrderWorkflow, 'history'>, orderIds: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await eachLimited(orderIds, 8, async (orderId) => {
    for (const event of await workflow.history(orderId)) {
      if (!event.error) continue;
      const key = event.type === 'ExecutionFailed' ? `run failed (${event.error})` : event.error;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  });
  return Object.fromEntries(Object.entries(counts).sort(([, a], [, b]) => b - a));
}

/** What the functions logged about recovering: the reconciler's actions, and what compensations voided and refunded. */
export function recoveryLog(logDir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (key: string, by = 1) => {
    counts[key] = (counts[key] ?? 0) + by;
  };
  for (const file of readdirSync(logDir).filter((name) => name.endsWith('.log'))) {
    for (const line of readFileSync(path.join(logDir, file), 'utf8').split('\n')) {
      if (!line.startsWith('{"') || !line.endsWith('}')) continue; // Powertools lines only; console output and a line being written are not
      const entry = JSON.parse(line) as { message?: string; action?: string; voided?: number; refunded?: number };
      if (entry.message === 'Reconciling order') add(`reconciler: ${entry.action}`);
      if (entry.message?.startsWith('Order rejected;')) {
        add('compensation: authorizations voided', entry.voided);
        add('compensation: lost captures refunded', entry.refunded);
      }
      if (entry.message === 'An AWS call failed transiently; the workflow retries the step') add('functions: TransientFailure');
    }
  }
  return counts;
}

/** Runs `work` for every item, at most `concurrency` at a time. */
export async function eachLimited<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
