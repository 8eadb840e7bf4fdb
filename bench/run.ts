import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DynamoDbUsage } from '../local/dynamodb-meter.js';
import { type BundleBenchResult, benchBundles } from './bundles.js';
import { benchCarrier, type CarrierBenchResult } from './carrier.js';
import { benchCatalog, type CatalogBenchResult } from './catalog.js';
import { benchFinance, type FinanceBenchResult } from './finance.js';
import { benchOrders, type OrdersBenchResult } from './orders.js';
import { benchStepFunctions, type SfnBenchResult } from './stepfunctions.js';

/**
 * Runs benchmarks against the local cloud and rewrites docs/performance.md from every result in
 * bench/results/. `npm run bench` runs them all; `npm run bench -- catalog` runs one.
 */
const root = path.resolve(import.meta.dirname, '..');
const resultsDir = path.join(root, 'bench', 'results');

interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
}

interface Stored<T> {
  name: string;
  ranAt: string;
  machine: Machine;
  result: T;
}

const benches = {
  bundles: benchBundles,
  catalog: benchCatalog,
  stepfunctions: benchStepFunctions,
  orders: benchOrders,
  carrier: benchCarrier,
  finance: benchFinance,
} as const;

/**
 * AWS list prices (us-east-1, on-demand, as published in 2026): the cost model for docs/performance.md.
 * Check current prices before relying on the figures.
 */
const PRICES = {
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaArmPerGbSecond: 0.0000133334,
  httpApiPerRequest: 1.0 / 1_000_000,
  dynamoDbPerWriteUnit: 0.625 / 1_000_000,
  dynamoDbPerReadUnit: 0.125 / 1_000_000,
  sesPerEmail: 0.1 / 1000,
};
/** Assumed per invocation in AWS (the local runtime's durations do not carry over): 512 MB for 60 ms. */
const ASSUMED_LAMBDA_GB_SECONDS = 0.5 * 0.06;

function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

function catalogSection(stored: Stored<CatalogBenchResult>): string {
  const { coldStarts, latency } = stored.result;
  const sortedStarts = [...coldStarts].sort((a, b) => a - b);
  const median = sortedStarts[Math.floor(sortedStarts.length / 2)] ?? 0;
  const c32 = latency.find((report) => report.concurrency === 32);
  return [
    '## Local cloud start and catalog reads',
    '',
    `Measured ${stored.ranAt} with \`npm run bench -- catalog\` on ${stored.machine.cores} cores (${stored.machine.cpu}), ${stored.machine.memoryGiB} GiB, Node ${stored.machine.node}, ${stored.machine.platform}.`,
    '',
    `- **Cold start to healthy** (spawn of \`npm start\`'s entry point with a warm \`cdk.out\` until \`GET /health\` answers 200, empty data folder), 3 runs: ${coldStarts.map((s) => `${s.toFixed(2)} s`).join(', ')}; median **${median.toFixed(2)} s** — target < 15 s: ${verdict(median < 15)}.`,
    '- **`GET /products/{sku}`** with a storefront key (authorizer + handler, each a local Lambda, DynamoDB Local behind them), keep-alive HTTP from a separate process:',
    '',
    '| concurrency | requests | errors | throughput | p50 | p90 | p99 | max |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...latency.map(
      (r) =>
        `| ${r.concurrency} | ${r.requests} | ${r.errors} | ${r.throughput.toFixed(0)} req/s | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} |`,
    ),
    '',
    `Target p99 < 20 ms at concurrency 32: ${c32 ? verdict(c32.p99 < 20) : 'not measured'}.`,
    '',
  ].join('\n');
}

/** Cost lines for measured counts; transactional items cost two write units, items assumed ≤ 1 KB (the order item ~2 KB: +1). */
function costLines(counts: {
  stateTransitions: number;
  lambdaInvocations: number;
  httpRequests: number;
  dynamoDb: DynamoDbUsage;
  emails: number;
}): {
  lines: [string, number][];
  total: number;
} {
  const usage = counts.dynamoDb;
  const writeUnits = usage.itemsWritten + usage.transactionalItemsWritten + 1;
  const readUnits = (usage.itemsRead - usage.consistentItemsRead) * 0.5 + usage.consistentItemsRead + (usage.requests.Query ?? 0) * 0.5;
  const lines: [string, number][] = [
    [`Step Functions: ${counts.stateTransitions} state transitions`, counts.stateTransitions * PRICES.stepFunctionsPerTransition],
    [`Lambda: ${counts.lambdaInvocations} invocations (requests)`, counts.lambdaInvocations * PRICES.lambdaPerRequest],
    [
      'Lambda: duration, assumed 60 ms at 512 MB arm64 each',
      counts.lambdaInvocations * ASSUMED_LAMBDA_GB_SECONDS * PRICES.lambdaArmPerGbSecond,
    ],
    [`HTTP API: ${counts.httpRequests} requests`, counts.httpRequests * PRICES.httpApiPerRequest],
    [`DynamoDB: ~${writeUnits} write units`, writeUnits * PRICES.dynamoDbPerWriteUnit],
    [`DynamoDB: ~${readUnits} read units`, readUnits * PRICES.dynamoDbPerReadUnit],
    [`SES: ${counts.emails} emails`, counts.emails * PRICES.sesPerEmail],
  ];
  return { lines, total: lines.reduce((sum, [, cost]) => sum + cost, 0) };
}

function carrierSection(stored: Stored<CarrierBenchResult>): string {
  const { events, lifecycle } = stored.result;
  const { lines, total } = costLines(lifecycle);
  return [
    '## Carrier events and the whole order lifecycle',
    '',
    `Measured ${stored.ranAt} with \`npm run bench -- carrier\` on ${stored.machine.cores} cores (${stored.machine.cpu}), Node ${stored.machine.node}.`,
    '',
    `- **${events.posted} signed carrier events** for ${events.shipments} shipped orders, posted at concurrency 32: the webhook accepted ${events.webhook.throughput.toFixed(0)} events/s (p99 ${ms(events.webhook.p99)}, ${events.webhook.errors} errors); all were applied through SQS → TrackCarrier → DynamoDB in ${events.secondsToApplyAll.toFixed(1)} s: **${events.appliedPerSecond.toFixed(0)} events/s** end to end (target ≥ 300: ${verdict(events.appliedPerSecond >= 300)}).`,
    `- **One order's whole life** (POST → CONFIRMED → FULFILLING → PACKED → SHIPPED → DELIVERED, one scan, four carrier events), counted: ${lifecycle.stateTransitions} state transitions, ${lifecycle.lambdaInvocations} Lambda invocations, ${lifecycle.httpRequests} API requests, ${lifecycle.emails} emails; DynamoDB ${Object.entries(
      lifecycle.dynamoDb.requests,
    )
      .map(([operation, count]) => `${count} ${operation}`)
      .join(', ')}.`,
    '',
    "| cost of one order's whole life at AWS list prices | USD |",
    '|---|---:|',
    ...lines.map(([what, cost]) => `| ${what} | ${cost.toFixed(7)} |`),
    `| **per order** | **${total.toFixed(6)}** |`,
    `| **per 1,000 orders** | **${(total * 1000).toFixed(2)}** |`,
    '',
  ].join('\n');
}

function ordersSection(stored: Stored<OrdersBenchResult>): string {
  const { perOrder, postLatency, throughput } = stored.result;
  const { lines, total } = costLines({
    ...perOrder,
    lambdaInvocations: perOrder.workflowLambdaInvocations + perOrder.apiLambdaInvocations,
    httpRequests: 1,
  });
  const usage = perOrder.dynamoDb;
  const c32 = postLatency.find((report) => report.concurrency === 32);
  return [
    '## Orders: POST /orders to CONFIRMED',
    '',
    `Measured ${stored.ranAt} with \`npm run bench -- orders\` on ${stored.machine.cores} cores (${stored.machine.cpu}), Node ${stored.machine.node}.`,
    "The local cloud runs in the benchmark's own process; orders use the sandbox gateway (`tok_visa`), one line each, unique customers.",
    '',
    "**Per happy order** (one order alone, counted, not estimated: the history of its execution, the local Lambda runtime's",
    'invocation counters, and a counting proxy between the functions and DynamoDB Local):',
    '',
    `- ${perOrder.stateTransitions} state transitions (target ≤ 10: ${verdict(perOrder.stateTransitions <= 10)}), ${perOrder.workflowLambdaInvocations} Lambda invocations in the workflow (target ≤ 3: ${verdict(perOrder.workflowLambdaInvocations <= 3)}) plus ${perOrder.apiLambdaInvocations} for the API (authorizer, place-order)`,
    `- DynamoDB requests, through the pick task's creation: ${Object.entries(usage.requests)
      .map(([operation, count]) => `${count} ${operation}`)
      .join(
        ', ',
      )}; ${usage.itemsWritten} items written (${usage.transactionalItemsWritten} in transactions), ${usage.itemsRead} items read`,
    `- ${perOrder.emails} email`,
    '',
    '| cost per order at AWS list prices | USD |',
    '|---|---:|',
    ...lines.map(([what, cost]) => `| ${what} | ${cost.toFixed(7)} |`),
    `| **per order** | **${total.toFixed(6)}** |`,
    `| **per 1,000 orders** | **${(total * 1000).toFixed(2)}** |`,
    '',
    '**Throughput and latency**:',
    '',
    '| POST /orders | requests | errors | p50 | p90 | p99 | max |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...postLatency.map(
      (r) => `| concurrency ${r.concurrency} | ${r.requests} | ${r.errors} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} |`,
    ),
    '',
    `- ${throughput.confirmed} of ${throughput.orders} orders placed at concurrency 32 reached CONFIRMED in ${throughput.seconds.toFixed(1)} s: **${throughput.ordersPerSecond.toFixed(0)} orders/s** (target ≥ 50: ${verdict(throughput.ordersPerSecond >= 50)}).`,
    `- POST p99 at concurrency 32: ${c32 ? ms(c32.p99) : 'not measured'} (target ≤ 50 ms: ${c32 ? verdict(c32.p99 <= 50) : 'not measured'}).`,
    '',
  ].join('\n');
}

/** Regenerates docs/performance.md from bench/results/*.json and the hand-written bench/notes.md. */
function stepFunctionsSection(stored: Stored<SfnBenchResult>): string {
  const dynamo = stored.result.runs[0];
  return [
    '## Local Step Functions',
    '',
    `Measured ${stored.ranAt} with \`npm run bench -- stepfunctions\` on ${stored.machine.cores} cores (${stored.machine.cpu}), Node ${stored.machine.node}.`,
    'Executions are started through the real Step Functions API (`@aws-sdk/client-sfn`, 32 callers) and counted when the',
    'service reports them finished; the DynamoDB tasks run against DynamoDB Local.',
    '',
    '| machine | executions | failed | executions/s | ms per state transition (wall clock, full load) |',
    '|---|---:|---:|---:|---:|',
    ...stored.result.runs.map(
      (run) =>
        `| ${run.machine} | ${run.executions} | ${run.failed} | ${run.executionsPerSecond.toFixed(0)} | ${run.msPerTransition.toFixed(3)} |`,
    ),
    '',
    `Target ≥ 200 executions/s for the 10-state DynamoDB machine: ${dynamo ? verdict(dynamo.executionsPerSecond >= 200) : 'not measured'}.`,
    'The Pass-only machine shows the service and engine overhead alone, per transition.',
    '',
  ].join('\n');
}

function bundlesSection(stored: Stored<BundleBenchResult>): string {
  const { functions, emptyLoadMs } = stored.result;
  return [
    '## Function bundles and cold module load',
    '',
    `Measured ${stored.ranAt} with \`npm run bench -- bundles\` on ${stored.machine.cores} cores (${stored.machine.cpu}), Node ${stored.machine.node}.`,
    'Size is the minified `index.mjs` in the deployed asset (the AWS SDK comes from the Lambda runtime and is not in it;',
    'the source map is kept outside the asset). Load is the median of 9 fresh processes importing the bundle, SDK modules',
    `included, against ${ms(emptyLoadMs)} for an empty handler. Budgets: 300 KB, 150 KB for the authorizer and health (checked by \`npm test\`).`,
    '',
    '| function | size | budget | cold module load | × empty handler |',
    '|---|---:|---:|---:|---:|',
    ...functions.map(
      (fn) =>
        `| ${fn.function} | ${(fn.bytes / 1024).toFixed(0)} KB | ${(fn.budget / 1024).toFixed(0)} KB | ${ms(fn.loadMs)} | ${fn.ratioToEmpty.toFixed(1)} |`,
    ),
    '',
  ].join('\n');
}

function financeSection(stored: Stored<FinanceBenchResult>): string {
  const { stream, exports } = stored.result;
  const [small, large] = exports;
  const flat = small && large ? large.retainedMiB <= small.retainedMiB * 1.25 + 1 : false;
  return [
    '## Finance: the ledger from the stream, and exports',
    '',
    `Measured ${stored.ranAt} with \`npm run bench -- finance\` on ${stored.machine.cores} cores (${stored.machine.cpu}), Node ${stored.machine.node}.`,
    '',
    `- **Stream → ledger**: ${stream.orders.toLocaleString('en')} paid orders written into the table; every sale was in S3 after ${stream.seconds.toFixed(1)} s: **${stream.recordsPerSecond.toFixed(0)} stream records/s** (the local poller, batches of up to 100, one shard reader; record-ledger and project-customers both consume).`,
    '- **`npm run finance:export`** (CSV, `--no-check`), a month seeded straight into the ledger bucket, in a process of its own:',
    '',
    '| month | lines | objects | time | lines/s | retained heap (peak, after GC) | peak RSS |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...exports.map(
      (entry) =>
        `| ${entry.month} | ${entry.lines.toLocaleString('en')} | ${entry.objects.toLocaleString('en')} | ${entry.seconds.toFixed(1)} s | ${entry.linesPerSecond.toFixed(0)} | ${entry.retainedMiB} MiB | ${entry.peakMiB} MiB |`,
    ),
    '',
    `What the export keeps (the heap after a full GC, sampled every 0.5 s by bench/export-runner.ts) for ten times the lines: ${small && large ? `${small.retainedMiB} → ${large.retainedMiB} MiB` : 'n/a'} (flat, within a quarter: ${verdict(flat)}). Peak RSS grows with the run's length because V8 collects lazily (it also counts garbage not yet collected). The exporter holds a few objects at a time (it reads 16 ahead) and its running totals; time grows with the number of objects, one GET each.`,
    '',
  ].join('\n');
}

function writeReport(): void {
  const sections: string[] = [];
  for (const file of readdirSync(resultsDir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const stored = JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8')) as Stored<unknown>;
    if (stored.name === 'bundles') sections.push(bundlesSection(stored as Stored<BundleBenchResult>));
    if (stored.name === 'catalog') sections.push(catalogSection(stored as Stored<CatalogBenchResult>));
    if (stored.name === 'stepfunctions') sections.push(stepFunctionsSection(stored as Stored<SfnBenchResult>));
    if (stored.name === 'orders') sections.push(ordersSection(stored as Stored<OrdersBenchResult>));
    if (stored.name === 'carrier') sections.push(carrierSection(stored as Stored<CarrierBenchResult>));
    if (stored.name === 'finance') sections.push(financeSection(stored as Stored<FinanceBenchResult>));
  }
  const doc = [
    '# Performance',
    '',
    'Every figure here comes from a benchmark in `bench/` (never from a timed test), run on the local cloud.',
    'Raw results are in `bench/results/`; this page is rewritten by `npm run bench`. The local cloud is a',
    'development stand-in: these numbers say how fast a laptop or CI runs Conveyor, not what AWS will do.',
    '',
    ...sections,
    readFileSync(path.join(root, 'bench', 'notes.md'), 'utf8'),
  ].join('\n');
  const file = path.join(root, 'docs', 'performance.md');
  writeFileSync(file, doc);
  // Biome lays Markdown tables out its own way, and npm test checks it: format the page as it would.
  execFileSync(process.execPath, [path.join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), 'format', '--write', file], {
    stdio: 'ignore',
  });
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  if (requested[0] === '--report') {
    writeReport();
    return;
  }
  const names = (requested.length ? requested : Object.keys(benches)) as (keyof typeof benches)[];
  for (const name of names) {
    if (!(name in benches)) throw new Error(`Unknown benchmark "${name}"; choose from ${Object.keys(benches).join(', ')}.`);
  }
  mkdirSync(resultsDir, { recursive: true });
  for (const name of names) {
    console.log(`▶ ${name}`);
    const result = await benches[name]((line) => console.log(`  ${line}`));
    const stored: Stored<unknown> = { name, ranAt: new Date().toISOString(), machine: machine(), result };
    writeFileSync(path.join(resultsDir, `${name}.json`), `${JSON.stringify(stored, null, 2)}\n`);
  }
  writeReport();
  console.log('Wrote docs/performance.md');
}

main().catch((error: Error) => {
  console.error(`✖ ${error.message}`);
  process.exit(1);
});
