import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StepFunctionsOrderWorkflow } from '../lambdas/adapters/step-functions-workflow.js';
import type { Endpoints } from './cloud.js';
import { formatReport, localReportSources, type ReportSources, reconciliationReport, totalProblems } from './reconciliation.js';

const USAGE = `Reconciliation report: every order, stock level, payment and queue, checked against what should hold.

  npm run reconcile [-- options]

It prints orders by status, queue depths, and a count for each kind of problem — zero when all is well:
  stuck orders                  not final, and past their stage's deadline (lambdas/domain/recovery.ts) or
                                with a failed, missing or ended workflow run
  stock invariants broken       per SKU: available = onHand − reserved, available ≥ 0, and reserved = the
                                units the orders' live reservations hold
  reservations of finished orders, paid orders holding no stock
  authorizations left open      AUTHORIZED payments of orders no longer PENDING or ON_HOLD
  captures without a confirmed order   CAPTURED, not fully refunded, order REJECTED, CANCELLED or stuck PENDING
  messages in dead-letter queues
and lists the offenders. Exit code: 0 when every count is zero, 1 when any is not, 2 when it could not run.

It reads the whole table with paginated Scans (an ops tool may; the functions never do), so on a big
table it takes a while and consumes read capacity; it shows its progress. The report is not a snapshot:
on a busy shop an order in flight can show up once — run it again before acting on it.

Target: the running local cloud (.local/endpoints.json) by default: its table, workflow and queues.
  --endpoints <file>       another local cloud's endpoints.json
  --table <name>           a deployed stack's table, read with your AWS credentials and region (the usual
                           AWS_PROFILE / AWS_REGION, or --region); needs dynamodb:Scan on it
  --state-machine <arn>    with --table: the order workflow, to read the runs of unfinished orders
                           (states:DescribeExecution); without it, runs are not checked
  --queue-url <url>        with --table: a queue to measure (repeatable; sqs:GetQueueAttributes); a queue
                           whose name contains DLQ (or StreamFailures, the stream mappings' failure destination)
                           counts as a dead-letter queue; without it, queues are skipped
  --region <region>        the AWS region for --table
  --segments <n>           parallel scan segments (default 4 with --table, 1 locally)
  --json                   print the report as JSON instead
  -h, --help               this text`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function progress(): (scanned: number) => void {
  if (!process.stderr.isTTY) return () => undefined;
  let last = 0;
  return (scanned) => {
    if (Date.now() - last < 200) return;
    last = Date.now();
    process.stderr.write(`\r  scanning… ${scanned.toLocaleString('en')} items`);
  };
}

interface Options {
  endpoints?: string;
  table?: string;
  'state-machine'?: string;
  'queue-url'?: string[];
  region?: string;
  segments?: string;
}

function segmentsOf(values: Options, fallback: number): number {
  if (values.segments === undefined) return fallback;
  const segments = Number(values.segments);
  if (!Number.isInteger(segments) || segments < 1 || segments > 64) throw new UsageError('--segments must be a whole number from 1 to 64.');
  return segments;
}

function deployedSources(values: Options & { table: string }): ReportSources {
  const region = values.region;
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region }));
  const stateMachine = values['state-machine'];
  const queueUrls = values['queue-url'] ?? [];
  return {
    db,
    tableName: values.table,
    ...(stateMachine ? { workflow: new StepFunctionsOrderWorkflow(stateMachine, undefined, new SFNClient({ region })) } : {}),
    ...(queueUrls.length ? { queues: { sqs: new SQSClient({ region }), urls: queueUrls } } : {}),
    segments: segmentsOf(values, 4),
  };
}

async function localSources(values: Options): Promise<ReportSources> {
  const file = values.endpoints ?? path.join(root, '.local', 'endpoints.json');
  if (!existsSync(file))
    throw new UsageError(`No local cloud found (${file} is missing): run npm start first, or pass --table for a deployed stack.`);
  const endpoints = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
  const sources = await localReportSources(endpoints).catch((error: Error) => {
    throw new UsageError(`The local cloud of ${file} does not answer as one (${error.message}); start it with npm start.`, {
      cause: error,
    });
  });
  return { ...sources, segments: segmentsOf(values, 1) };
}

function parse() {
  try {
    return parseArgs({
      options: {
        endpoints: { type: 'string' },
        table: { type: 'string' },
        'state-machine': { type: 'string' },
        'queue-url': { type: 'string', multiple: true },
        region: { type: 'string' },
        segments: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see npm run reconcile -- --help.`, { cause: error });
  }
}

async function main(): Promise<number> {
  const values = parse();
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.table && (values['state-machine'] || values['queue-url'] || values.region)) {
    throw new UsageError(
      '--state-machine, --queue-url and --region go with --table (a deployed stack); the local cloud needs none of them.',
    );
  }
  const sources = values.table ? deployedSources({ ...values, table: values.table }) : await localSources(values);
  const onProgress = progress();
  const report = await reconciliationReport({ ...sources, onProgress });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return totalProblems(report) === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`✖ ${error instanceof UsageError ? error.message : `The report could not be made: ${error.message}`}`);
    process.exit(2);
  },
);
