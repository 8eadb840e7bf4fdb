import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../lambdas/adapters/keys.js';
import { ledgerPrefix, S3LedgerStore } from '../lambdas/adapters/s3-ledger-store.js';
import { daysBetween, type LedgerMovement } from '../lambdas/domain/ledger.js';
import { startLocalCloud } from '../local/cloud.js';
import { LOCAL_CREDENTIALS } from '../local/dynamodb.js';

const root = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

export interface FinanceBenchResult {
  stream: { orders: number; seconds: number; recordsPerSecond: number };
  exports: {
    month: string;
    lines: number;
    objects: number;
    seconds: number;
    linesPerSecond: number;
    peakMiB: number;
    retainedMiB: number;
  }[];
}

/** Runs `tasks` with at most `limit` at once. */
async function limited<T>(items: T[], limit: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

/** A paid order as the table holds it, written straight in (arranging, not under test): its insert is one stream record. */
function paidOrder(n: number, at: string) {
  const orderId = `ord_bench${n.toString(36).padStart(8, '0')}`;
  const eur = (amount: number) => ({ amount, currency: 'EUR' });
  return {
    ...keys.order(orderId),
    orderId,
    storefrontId: 'bench',
    status: 'CONFIRMED',
    customer: { id: `bench-${n % 500}`, email: `bench-${n % 500}@example.com`, name: 'Bench' },
    items: [
      { sku: 'MUG-001', name: 'Mug', quantity: 1, unitPrice: eur(1250), lineTotal: eur(1250) },
      { sku: 'APRON-1', name: 'Apron', quantity: 1, unitPrice: eur(1990), lineTotal: eur(1990) },
    ],
    subtotal: eur(3240),
    shipping: eur(390),
    tax: eur(690),
    total: eur(4320),
    shippingOption: 'standard',
    shipments: [],
    timeline: [],
    returns: [],
    refunded: eur(0),
    createdAt: at,
    updatedAt: at,
    capture: { captureId: `cap_${n}`, amount: eur(4320), at },
  };
}

/** A month of sales straight into the ledger bucket: `movements` objects of four lines, spread over its days. */
async function seedMonth(store: S3LedgerStore, month: string, movements: number): Promise<void> {
  const days = daysBetween(`${month}-01`, `${month}-28`);
  const all: LedgerMovement[] = Array.from({ length: movements }, (_, n) => {
    const day = days[n % days.length] as string;
    const orderId = `ord_seed${month.replace('-', '')}${n.toString(36).padStart(6, '0')}`;
    const at = `${day}T12:00:00.000Z`;
    const line = (suffix: string, type: 'SALE' | 'SHIPPING' | 'TAX', amount: number) => ({
      entryId: `${orderId}:${suffix}`,
      orderId,
      type,
      amount,
      currency: 'EUR',
      occurredAt: at,
    });
    return {
      name: `${orderId}.sale`,
      day,
      lines: [
        line('SALE:MUG-001', 'SALE', 1250),
        line('SALE:APRON-1', 'SALE', 1990),
        line('SHIPPING', 'SHIPPING', 390),
        line('TAX', 'TAX', 690),
      ],
    };
  });
  await limited(all, 32, (movement) => store.put(movement));
}

/**
 * The finance pipeline: stream records/s into the ledger (orders inserted into the table, until every sale object
 * is in S3), and `npm run finance:export` over a 10,000-line and a 100,000-line month (lines/s and the
 * exporter's peak memory, which should not grow with the month).
 */
export async function benchFinance(log: (line: string) => void): Promise<FinanceBenchResult> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-bench-finance-'));
  const cloud = await startLocalCloud({ root, stateDir, persist: false, port: 0, log: () => undefined });
  const s3 = new S3Client({ endpoint: cloud.endpoints.s3, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }),
  );
  try {
    const bucket = cloud.endpoints.buckets.FinanceLedger;
    if (!bucket) throw new Error('The local cloud has no ledger bucket.');
    const store = new S3LedgerStore(s3, bucket);

    // Stream → ledger: 2,000 paid orders written in batches of 25; done when 2,000 sale objects are in S3.
    const orders = 2000;
    const day = '2026-01-15';
    const items = Array.from({ length: orders }, (_, n) => paidOrder(n, `${day}T10:00:00.000Z`));
    const started = Date.now();
    const batches = Array.from({ length: orders / 25 }, (_, b) => items.slice(b * 25, b * 25 + 25));
    await limited(batches, 8, (batch) =>
      db.send(new BatchWriteCommand({ RequestItems: { [cloud.tableName]: batch.map((Item) => ({ PutRequest: { Item } })) } })),
    );
    for (;;) {
      let count = 0;
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: ledgerPrefix(day), ContinuationToken: token }));
        count += page.KeyCount ?? 0;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      if (count >= orders) break;
      if (Date.now() - started > 600_000) throw new Error(`Only ${count} of ${orders} ledger objects after 10 minutes.`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const seconds = (Date.now() - started) / 1000;
    const stream = { orders, seconds, recordsPerSecond: orders / seconds };
    log(`stream → ledger: ${orders} records in ${seconds.toFixed(1)} s (${stream.recordsPerSecond.toFixed(0)} records/s)`);

    // Exports: a 10,000-line month and a 100,000-line month, each read by the CLI in a process of its own.
    const exports: FinanceBenchResult['exports'] = [];
    for (const [month, movements] of [
      ['2026-02', 2_500],
      ['2026-03', 25_000],
    ] as const) {
      await seedMonth(store, month, movements);
      const out = path.join(stateDir, `${month}.csv`);
      const { stdout } = await run(
        process.execPath,
        [
          // The runner samples the heap after full GCs: what the export keeps, which must not grow with the month.
          '--expose-gc',
          '--import',
          'tsx',
          path.join(root, 'bench', 'export-runner.ts'),
          '--from',
          `${month}-01`,
          '--to',
          `${month}-28`,
          '--out',
          out,
          '--endpoints',
          path.join(stateDir, 'endpoints.json'),
          '--no-check',
        ],
        { cwd: root, maxBuffer: 1 << 20 },
      );
      const match = /Wrote ([\d,]+) ledger lines .* in ([\d.]+) s \(peak memory (\d+) MiB\)[\s\S]*Retained heap peak ([\d.]+) MiB/.exec(
        stdout,
      );
      if (!match) throw new Error(`finance:export printed no figures:\n${stdout}`);
      const lines = Number(match[1]?.replaceAll(',', ''));
      const exportSeconds = Number(match[2]);
      const result = {
        month,
        lines,
        objects: movements,
        seconds: exportSeconds,
        linesPerSecond: lines / exportSeconds,
        peakMiB: Number(match[3]),
        retainedMiB: Number(match[4]),
      };
      exports.push(result);
      log(
        `export ${month}: ${lines} lines (${movements} objects) in ${exportSeconds.toFixed(1)} s, ${result.linesPerSecond.toFixed(0)} lines/s, peak RSS ${result.peakMiB} MiB, retained heap ${result.retainedMiB} MiB`,
      );
    }
    return { stream, exports };
  } finally {
    s3.destroy();
    db.destroy();
    await cloud.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
