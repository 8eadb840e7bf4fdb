import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3LedgerStore } from '../../lambdas/adapters/s3-ledger-store.js';
import { gtinCheckDigit } from '../../lambdas/domain/gtin.js';
import { signCarrierPayload } from '../../lambdas/domain/tracking.js';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.js';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb.js';
import { main as financeExport } from '../../local/finance-export-cli.js';
import { lambdaRecord } from '../../local/streams.js';

/**
 * The finance ledger end to end, on a local cloud of its own (so the range holds exactly this file's orders):
 * orders paid, one cancelled after its capture and one partly returned, through the table's stream into the
 * ledger in S3; the figures reconcile with the orders to the cent, a replay of the whole stream changes
 * nothing, and the CSV export opens with the header finance expects.
 */
const root = path.resolve(import.meta.dirname, '..', '..');
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-finance-'));
let cloud: LocalCloud;

type Money = { amount: number; currency: string };
type Order = { orderId: string; status: string; total: Money; refunded: Money; shipments: { trackingNumber: string }[] };
type Line = { entryId: string; orderId: string; type: string; amount: number; currency: string; occurredAt: string };
type Summary = {
  from: string;
  to: string;
  currencies: { currency: string; orders: number; gross: number; refunds: number; net: number }[];
};

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
// Yesterday to tomorrow: a run across midnight (UTC) still finds its lines.
const range = { from: day(-1), to: day(1) };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call<T>(method: string, route: string, key: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${cloud.endpoints.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: (response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined) as T,
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await pause(100);
  }
}

const keysOf = () => cloud.endpoints.keys;
const order = async (orderId: string) => (await call<Order>('GET', `/orders/${orderId}`, keysOf().ops)).body;
const orderIn = (orderId: string, status: string) =>
  until(`${orderId} to be ${status}`, async () => {
    const current = await order(orderId);
    return current.status === status ? current : undefined;
  });

let placed = 0;
async function place(sku: string, quantity: number): Promise<string> {
  const id = `fin-${Date.now().toString(36)}-${++placed}`;
  const { body } = await call<{ orderId: string }>(
    'POST',
    '/orders',
    keysOf().storefront,
    {
      customer: { id, email: `${id}@example.com`, name: 'Ada Lovelace' },
      items: [{ sku, quantity }],
      shippingAddress: { name: 'Ada Lovelace', line1: '1 Ledger Lane', city: 'Berlin', postalCode: '10115', country: 'DE' },
      shippingOption: 'standard',
      payment: { token: 'tok_visa' },
    },
    { 'idempotency-key': id },
  );
  await orderIn(body.orderId, 'FULFILLING');
  return body.orderId;
}

async function exportLines(format: 'jsonl' | 'csv' = 'jsonl'): Promise<{ text: string; lines: Line[] }> {
  const { status, text } = await call('GET', `/finance/exports?from=${range.from}&to=${range.to}&format=${format}`, keysOf().finance);
  expect(status).toBe(200);
  const lines =
    format === 'jsonl'
      ? text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Line)
      : [];
  return { text, lines };
}

const summary = async () => (await call<Summary>('GET', `/finance/summary?from=${range.from}&to=${range.to}`, keysOf().finance)).body;

/** Every record of the table's stream, oldest first, read from TRIM_HORIZON as a replay would. */
async function wholeStream(): Promise<ReturnType<typeof lambdaRecord>[]> {
  const streams = new DynamoDBStreamsClient({ endpoint: cloud.endpoints.dynamodb, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const { DynamoDBClient, DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  const ddb = new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName: cloud.tableName }));
  const streamArn = Table?.LatestStreamArn as string;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const records: _Record[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let iterator = (
      await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      records.push(...(page.Records ?? []));
      // An open shard hands out an iterator for ever: stop at its end (an empty page).
      iterator = page.Records?.length ? page.NextShardIterator : undefined;
    }
  }
  streams.destroy();
  ddb.destroy();
  // Shaped as the local poller (and Lambda) delivers them.
  return records.map((record) => lambdaRecord(record, streamArn));
}

beforeAll(async () => {
  cloud = await startLocalCloud({ root, stateDir, persist: false, port: 0, timeScale: 0.01 });
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
  if (process.env.CONVEYOR_KEEP_STATE) console.log(`[finance] state and logs kept in ${stateDir}`);
  else rmSync(stateDir, { recursive: true, force: true });
});

describe('the finance ledger, from the table’s stream', () => {
  const made: { sku: string; barcode: string; paid?: string; cancelled?: string; returned?: string } = { sku: '', barcode: '' };

  it('books sales, a cancellation and a partial refund so that every order reconciles to the cent', async () => {
    const { ops, warehouse } = keysOf();
    made.sku = `FIN-${Date.now().toString(36).toUpperCase()}`;
    const payload = `20${String(Date.now() % 1e10).padStart(10, '0')}`;
    made.barcode = `${payload}${gtinCheckDigit(payload)}`;
    await call('PUT', `/products/${made.sku}`, ops, {
      name: 'Ledger mug',
      price: { amount: 1250, currency: 'EUR' },
      barcode: made.barcode,
      weightGrams: 300,
    });
    await call('POST', `/inventory/${made.sku}/adjustments`, ops, { delta: 50, reason: 'finance test' });

    made.paid = await place(made.sku, 1);
    made.cancelled = await place(made.sku, 2);
    expect((await call('POST', `/orders/${made.cancelled}/cancel`, keysOf().storefront, {})).status).toBe(202);
    await orderIn(made.cancelled, 'CANCELLED');

    made.returned = await place(made.sku, 2);
    const taskId = `pick_${made.returned.slice(4)}`;
    for (let unit = 0; unit < 2; unit++)
      expect((await call('POST', `/fulfillment/tasks/${taskId}/scans`, warehouse, { barcode: made.barcode })).status).toBe(200);
    await call('POST', `/fulfillment/tasks/${taskId}/complete`, warehouse, { packageWeightGrams: 700 });
    const shipped = await orderIn(made.returned, 'SHIPPED');
    const event = JSON.stringify({
      eventId: `fin-dlv-${made.returned}`,
      trackingNumber: shipped.shipments[0]?.trackingNumber,
      status: 'DELIVERED',
      occurredAt: new Date().toISOString(),
    });
    const signature = signCarrierPayload(event, cloud.endpoints.carrierSecret);
    await fetch(`${cloud.endpoints.api}/carrier/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-conveyor-signature': signature },
      body: event,
    });
    await orderIn(made.returned, 'DELIVERED');
    const rma = await call<{ returnId: string }>('POST', `/orders/${made.returned}/returns`, keysOf().storefront, {
      items: [{ sku: made.sku, quantity: 1 }],
      reason: 'one was enough',
    });
    expect(rma.status).toBe(201);
    for (const [type, condition] of [['RECEIVED'], ['INSPECTED', 'DAMAGED']])
      await call('POST', `/returns/${rma.body.returnId}/events`, warehouse, {
        eventId: `fin-${type}`,
        type,
        ...(condition ? { condition } : {}),
      });
    await until('the return to be refunded', async () => ((await order(made.returned as string)).refunded.amount > 0 ? true : undefined));

    // The ledger catches up with the stream: a sale for each order, a refund for the cancelled and the returned one.
    const orders = await Promise.all([made.paid, made.cancelled, made.returned].map((orderId) => order(orderId as string)));
    const { lines } = await until('the ledger to hold every movement', async () => {
      const page = await exportLines();
      const refunds = page.lines.filter((line) => line.type === 'REFUND').length;
      const sales = new Set(page.lines.filter((line) => line.type !== 'REFUND').map((line) => line.orderId)).size;
      return sales === 3 && refunds === 2 ? page : undefined;
    });
    for (const current of orders) {
      const booked = lines.filter((line) => line.orderId === current.orderId).reduce((sum, line) => sum + line.amount, 0);
      expect(booked, `ledger of ${current.orderId}`).toBe(current.total.amount - current.refunded.amount);
    }
    expect(new Set(lines.map((line) => line.entryId)).size).toBe(lines.length);
    // No PII in the ledger: no names, emails or addresses.
    expect(JSON.stringify(lines)).not.toMatch(/Ada|Lovelace|example\.com|Ledger Lane/);

    // The summary adds up the ledger, and equals the same figures computed from the orders themselves.
    const gross = orders.reduce((sum, current) => sum + current.total.amount, 0);
    const refunds = orders.reduce((sum, current) => sum + current.refunded.amount, 0);
    expect((await summary()).currencies).toEqual([{ currency: 'EUR', orders: 3, gross, refunds, net: gross - refunds }]);
  });

  it('exports one order’s lines when asked for its orderId, and refuses what is not an order id', async () => {
    const { lines } = await exportLines();
    const returned = made.returned as string;
    const { status, text } = await call(
      'GET',
      `/finance/exports?from=${range.from}&to=${range.to}&format=jsonl&orderId=${returned}`,
      keysOf().finance,
    );
    expect(status).toBe(200);
    const own = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Line);
    expect(own.map((line) => line.type)).toContain('REFUND');
    expect(own).toEqual(lines.filter((line) => line.orderId === returned));

    const bad = await call<{ error: { code: string; details: { path: string }[] } }>(
      'GET',
      `/finance/exports?from=${range.from}&to=${range.to}&orderId=not-an-order`,
      keysOf().finance,
    );
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((detail) => detail.path)).toContain('query.orderId');
  });

  it('exports CSV with the header finance expects, and the CLI reconciles the range with the orders', async () => {
    const { text } = await exportLines('csv');
    const [header, ...rows] = text.trimEnd().split('\n');
    expect(header).toBe('entryId,orderId,type,amount,currency,occurredAt');
    expect(rows.length).toBeGreaterThanOrEqual(5);

    const endpoints = path.join(stateDir, 'endpoints.json');
    const out = path.join(stateDir, 'ledger.csv');
    const printed: string[] = [];
    const log = console.log;
    console.log = (...parts: unknown[]) => printed.push(parts.join(' '));
    try {
      expect(await financeExport(['--from', range.from, '--to', range.to, '--out', out, '--endpoints', endpoints])).toBe(0);
    } finally {
      console.log = log;
    }
    expect(readFileSync(out, 'utf8')).toBe(text);
    expect(printed.join('\n')).toMatch(/Reconciled: the ledger matches all 3 orders/);

    // A ledger line the orders do not account for is caught, with the order named, and a non-zero exit.
    const s3 = new S3Client({ endpoint: cloud.endpoints.s3, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
    const bucket = cloud.endpoints.buckets.FinanceLedger as string;
    const phantom = {
      name: 'ord_phantom0000001.sale',
      day: day(0),
      lines: [
        {
          entryId: 'ord_phantom0000001:SALE:X',
          orderId: 'ord_phantom0000001',
          type: 'SALE' as const,
          amount: 100,
          currency: 'EUR',
          occurredAt: new Date().toISOString(),
        },
      ],
    };
    await new S3LedgerStore(s3, bucket).put(phantom);
    printed.length = 0;
    console.log = (...parts: unknown[]) => printed.push(parts.join(' '));
    try {
      expect(await financeExport(['--from', range.from, '--to', range.to, '--out', out, '--endpoints', endpoints])).toBe(1);
    } finally {
      console.log = log;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `ledger/dt=${phantom.day}/${phantom.name}.jsonl` }));
      s3.destroy();
    }
    expect(printed.join('\n')).toMatch(/MISMATCH: 1 order\(s\)[\s\S]*ord_phantom0000001 {2}ledger 100 \/ 0 EUR {2}order nothing/);
  });

  it('replaying the whole stream from TRIM_HORIZON changes no line and no total', async () => {
    const before = { summary: await summary(), lines: (await exportLines()).text };
    const records = await wholeStream();
    expect(records.length).toBeGreaterThan(10);
    const template = JSON.parse(readFileSync(path.join(root, 'cdk.out', 'Conveyor.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { Environment?: { Variables?: Record<string, unknown> } } }>;
    };
    const [logicalId] = Object.entries(template.Resources).find(
      ([, resource]) =>
        resource.Type === 'AWS::Lambda::Function' && resource.Properties?.Environment?.Variables?.CONVEYOR_FUNCTION === 'record-ledger',
    ) ?? [''];
    const consumer = cloud.lambdas.get(logicalId);
    for (let start = 0; start < records.length; start += 100) {
      const result = await consumer.invoke({ Records: records.slice(start, start + 100) });
      if (!result.ok) throw new Error(`record-ledger failed: ${result.error.errorMessage}`);
      expect((result.payload as { batchItemFailures: unknown[] }).batchItemFailures).toEqual([]);
    }
    expect(await summary()).toEqual(before.summary);
    expect((await exportLines()).text).toBe(before.lines);
  });
});
