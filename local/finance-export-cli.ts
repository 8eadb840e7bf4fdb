import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../lambdas/adapters/keys.js';
import { S3LedgerStore } from '../lambdas/adapters/s3-ledger-store.js';
import {
  compareLedger,
  csvHeader,
  csvRow,
  daysBetween,
  expectedLedger,
  jsonLine,
  LedgerByOrder,
  LedgerRange,
  LedgerTotals,
  type OrderLedger,
  type OrderMoney,
} from '../lambdas/domain/ledger.js';
import type { Endpoints } from './cloud.js';

const USAGE = `Exports the finance ledger for a range of days and reconciles it with the orders.

  npm run finance:export -- --from 2026-11-01 --to 2026-11-30 --format csv --out november.csv

It streams every ledger line of the range (S3, ledger/dt=YYYY-MM-DD/) into the file, day by day, holding a
few objects in memory whatever the range's size, with progress on a terminal. Then it checks the ledger
against the orders themselves: per order, the lines in the range must equal what the order says it paid
(its capture, when in the range) and refunded (its refunds, when in the range), to the cent. It prints the
range's orders, gross, refunds and net per currency, and every order that differs.
Exit code: 0 when the ledger matches the orders, 1 when an order differs, 2 when it could not run.

  --from, --to <YYYY-MM-DD>  the range, both days included (required)
  --format csv|jsonl         csv (a header row: entryId,orderId,type,amount,currency,occurredAt) or JSON lines; default csv
  --out <file>               where the lines go (required)
  --endpoints <file>         another local cloud's endpoints.json (default .local/endpoints.json)
  --bucket <name>            a deployed stack's ledger bucket (with your AWS credentials and region)
  --table <name>             with --bucket: the stack's table, scanned for the orders' own figures
  --region <region>          the AWS region for --bucket/--table
  --no-check                 export only: skip the check against the orders (it reads the table)
  -h, --help                 this text`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

interface Target {
  s3: S3Client;
  bucket: string;
  db: DynamoDBDocumentClient;
  table: string;
}

async function target(values: { endpoints?: string; bucket?: string; table?: string; region?: string }): Promise<Target> {
  if (values.bucket || values.table) {
    if (!values.bucket || !values.table)
      throw new UsageError('--bucket and --table go together (the ledger bucket and the table of one stack).');
    const region = values.region ? { region: values.region } : {};
    return {
      s3: new S3Client(region),
      bucket: values.bucket,
      db: DynamoDBDocumentClient.from(new DynamoDBClient(region)),
      table: values.table,
    };
  }
  const file = values.endpoints ?? path.join(process.cwd(), '.local', 'endpoints.json');
  if (!existsSync(file))
    throw new UsageError(`${file} does not exist: start the local cloud with \`npm start\`, or pass --bucket and --table.`);
  const cloud = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
  const s3 = new S3Client({ ...LOCAL, endpoint: cloud.s3, forcePathStyle: true });
  const bucket = cloud.buckets?.FinanceLedger;
  if (!bucket) throw new UsageError('The local cloud has no ledger bucket; is it running the current code?');
  return { s3, bucket, db: DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL, endpoint: cloud.dynamodb })), table: cloud.table };
}

/** A line on the terminal that rewrites itself; nothing when stderr is not a terminal. */
function progress(): { update: (text: string) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  return {
    update: (text) => {
      if (Date.now() - last < 200) return;
      last = Date.now();
      process.stderr.write(`\r\x1b[2K  ${text}`);
    },
    done: () => process.stderr.write('\r\x1b[2K'),
  };
}

/** Every order with a capture, read with a paginated Scan: what each says the ledger should hold in the range. */
async function ordersExpectation(db: DynamoDBDocumentClient, table: string, from: string, to: string, onPage: (n: number) => void) {
  const expected = new Map<string, OrderLedger | undefined>();
  let scanned = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'sk = :order AND attribute_exists(#capture)',
        ProjectionExpression: 'orderId, #total, #capture, refunds',
        ExpressionAttributeNames: { '#capture': 'capture', '#total': 'total' },
        ExpressionAttributeValues: { ':order': keys.order('any').sk },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of (page.Items ?? []) as OrderMoney[]) {
      const should = expectedLedger(item, from, to);
      if (should) expected.set(item.orderId, should);
    }
    scanned += page.ScannedCount ?? 0;
    onPage(scanned);
    start = page.LastEvaluatedKey;
  } while (start);
  return expected;
}

const money = (amount: number) => (amount / 100).toFixed(2);

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'csv' },
      out: { type: 'string' },
      endpoints: { type: 'string' },
      bucket: { type: 'string' },
      table: { type: 'string' },
      region: { type: 'string' },
      'no-check': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const range = LedgerRange.safeParse({ from: values.from, to: values.to });
  if (!range.success) throw new UsageError('--from and --to must be days (YYYY-MM-DD), --from not after --to.');
  if (values.format !== 'csv' && values.format !== 'jsonl') throw new UsageError('--format is csv or jsonl.');
  if (!values.out) throw new UsageError('--out <file> says where the lines go.');
  const { from, to } = range.data;
  const { s3, bucket, db, table } = await target(values);
  const store = new S3LedgerStore(s3, bucket);
  const csv = values.format === 'csv';
  const check = !values['no-check'];
  const row = csv ? csvRow : jsonLine;

  const started = Date.now();
  const out = createWriteStream(values.out);
  const totals = new LedgerTotals();
  const byOrder = new LedgerByOrder();
  const show = progress();
  const days = daysBetween(from, to);
  let lines = 0;
  if (csv) out.write(csvHeader());
  for (const [index, day] of days.entries()) {
    for await (const movement of store.movements(day)) {
      for (const line of movement.lines) {
        totals.add(line);
        if (check) byOrder.add(line);
        lines++;
        // Backpressure: wait for the file to take what it has before reading more.
        if (!out.write(row(line))) await once(out, 'drain');
      }
      show.update(`${day} (day ${index + 1} of ${days.length}) · ${lines.toLocaleString('en')} lines`);
    }
  }
  out.end();
  await once(out, 'finish');
  show.done();
  const exportedMs = Date.now() - started;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(
    `Wrote ${lines.toLocaleString('en')} ledger lines (${from} to ${to}) to ${values.out} in ${(exportedMs / 1000).toFixed(1)} s (peak memory ${peakMiB.toFixed(0)} MiB).`,
  );
  console.log('');
  console.log('currency   orders        gross      refunds          net');
  for (const figures of totals.summary()) {
    console.log(
      `${figures.currency.padEnd(8)} ${String(figures.orders).padStart(8)} ${money(figures.gross).padStart(12)} ${money(figures.refunds).padStart(12)} ${money(figures.net).padStart(12)}`,
    );
  }
  if (!totals.summary().length) console.log('(no money moved in the range)');
  console.log('');
  if (!check) return 0;
  const expected = await ordersExpectation(db, table, from, to, (scanned) =>
    show.update(`checking orders… ${scanned.toLocaleString('en')} items scanned`),
  );
  show.done();
  const mismatches = compareLedger(byOrder.orders, expected);
  if (!mismatches.length) {
    console.log(
      `Reconciled: the ledger matches all ${expected.size.toLocaleString('en')} orders that moved money in the range, to the cent.`,
    );
    return 0;
  }
  console.log(`MISMATCH: ${mismatches.length} order(s) differ between the ledger and the orders (paid / refunded, minor units):`);
  for (const mismatch of mismatches.slice(0, 50)) {
    const show = (figures?: OrderLedger) => (figures ? `${figures.paid} / ${figures.refunded} ${figures.currency}` : 'nothing');
    console.log(`  ${mismatch.orderId}  ledger ${show(mismatch.ledger)}  order ${show(mismatch.order)}`);
  }
  if (mismatches.length > 50) console.log(`  … and ${mismatches.length - 50} more`);
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : `finance:export failed: ${error.message}`);
      process.exit(2);
    },
  );
}
