import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Endpoints } from './cloud.js';
import { Carrier, Ops, type OrderView, type ReturnView, Storefront, Warehouse } from './demo/actors.js';
import { DemoApi } from './demo/api.js';
import { DeadLetters } from './demo/dead-letters.js';
import { inParallel, type Journey, OrderJourney } from './demo/journey.js';
import { runEmails } from './demo/mailbox.js';
import { type DemoRun, planRun } from './demo/plan.js';
import { Progress } from './demo/progress.js';
import { type DemoReport, deadLettersOfOurs, formatReport, judge, outcomes, stageTimings } from './demo/summary.js';

const USAGE = `The whole shop at work: a simulated storefront, warehouse, carrier and ops team drive orders through the
running local cloud's HTTP API — delivered, declined, out of stock, held for fraud review (approved and
rejected), cancelled, returned and refunded — then it prints where every order ended, the emails sent, how
long each stage took, and whether anything landed in a dead-letter queue.

  npm run demo [-- options]          (with npm start running in another terminal)

Options:
  --orders <n>         how many orders (default 200; 12 or more show every path)
  --concurrency <n>    orders in flight at once (default 12)
  --deadline <s>       give up after this many seconds and list what is stuck (default 60 + 1 s per order)
  --endpoints <file>   another local cloud's endpoints.json (default .local/endpoints.json)
  --report <file>      also write the outcome as JSON: every order's id, plan and status, the stage times, emails, DLQs
  -h, --help           this text

It creates its own products (SKUs DEMO-<run>-…) and customers, so runs never collide. A few orders are left
on purpose for you in the console: waiting for the warehouse, held for fraud review, in transit.
Exit code: 0 when every order ended (or rests) where its plan leads and no dead-letter queue got anything;
1 otherwise, or when the local cloud is not running; 2 for a wrong option.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Said when there is no local cloud to run against: the one thing to do about it. */
class NoLocalCloud extends Error {
  override readonly name = 'NoLocalCloud';
}

function whole(value: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}.`);
  return number;
}

function options() {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        orders: { type: 'string' },
        concurrency: { type: 'string' },
        deadline: { type: 'string' },
        endpoints: { type: 'string' },
        report: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see npm run demo -- --help.`, { cause: error });
  }
  const orders = whole(values.orders as string | undefined, 200, 'orders', 1, 10_000);
  return {
    help: Boolean(values.help),
    orders,
    concurrency: whole(values.concurrency as string | undefined, 12, 'concurrency', 1, 64),
    deadlineSeconds: whole(values.deadline as string | undefined, 60 + orders, 'deadline', 5, 86_400),
    endpointsFile: (values.endpoints as string | undefined) ?? path.join(process.cwd(), '.local', 'endpoints.json'),
    reportFile: values.report as string | undefined,
  };
}

/** The local cloud's endpoints, once its API answers /health; a sandbox gateway only (the demo pays with test tokens). */
async function localCloud(file: string): Promise<Endpoints> {
  const start = 'run `npm start` in another terminal, then `npm run demo` again.';
  if (!existsSync(file)) throw new NoLocalCloud(`No local cloud is running (${file} is missing): ${start}`);
  const endpoints = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
  let health: { payments?: string };
  try {
    const response = await fetch(`${endpoints.api}/health`, { signal: AbortSignal.timeout(3000) });
    health = (await response.json()) as { payments?: string };
    if (!response.ok) throw new Error(`status ${response.status}`);
  } catch {
    throw new NoLocalCloud(`The local cloud does not answer at ${endpoints.api}: ${start}`);
  }
  if (health.payments !== undefined && health.payments !== 'sandbox') {
    throw new NoLocalCloud(`${endpoints.api} charges real cards (payments: ${health.payments}); the demo runs only against the sandbox.`);
  }
  return endpoints;
}

/** Every order and return as Conveyor has them now: what the summary reports is what the API says. */
async function readBack(api: DemoApi, journeys: Journey[]) {
  const storefront = new Storefront(api);
  const finals = new Map<string, OrderView>();
  const returns = new Map<string, ReturnView>();
  await inParallel(journeys, 16, async (journey) => {
    try {
      if (journey.orderId) finals.set(journey.orderId, await storefront.order(journey.orderId));
      if (journey.returnId) {
        returns.set(journey.returnId, (await api.call<ReturnView>('storefront', 'GET', `/returns/${journey.returnId}`)).body);
      }
    } catch (error) {
      journey.failure ??= `reading it back failed: ${(error as Error).message}`;
    }
  });
  return { finals, returns };
}

/** The run's ids: a dead-letter message naming one of them is about this run. */
function markers(run: DemoRun, journeys: Journey[]): string[] {
  return [
    run.runId,
    ...journeys.flatMap((journey) => [journey.orderId, journey.trackingNumber, journey.returnId].filter((id): id is string => Boolean(id))),
  ];
}

type Settings = ReturnType<typeof options>;

/** Stocks the shelves, then drives every order along its plan until each settled, the deadline passed or Ctrl-C. */
async function driveOrders(endpoints: Endpoints, run: DemoRun, settings: Settings) {
  const stop = new AbortController();
  let stopped: string | undefined;
  const deadline = setTimeout(() => {
    stopped = `Stopped at the deadline (${settings.deadlineSeconds} s; --deadline to change it): the orders above marked "stopped while waiting" did not get there in time.`;
    stop.abort();
  }, settings.deadlineSeconds * 1000);
  process.once('SIGINT', () => {
    stopped = 'Interrupted (Ctrl-C): the summary shows where the orders were.';
    stop.abort();
  });
  const api = new DemoApi(endpoints, stop.signal);
  const weights = new Map([...run.products, run.scarce].map((product) => [product.sku, product.weightGrams]));
  const actors = {
    storefront: new Storefront(api),
    warehouse: new Warehouse(api, weights),
    carrier: new Carrier(api, endpoints, run.runId),
    ops: new Ops(api),
  };
  await actors.ops.stock(run);

  const journeys: Journey[] = run.orders.map((plan) => ({ plan, step: 'its turn' }));
  const progress = new Progress(settings.orders);
  const journey = new OrderJourney(actors, run.runId);
  progress.start();
  await inParallel(journeys, settings.concurrency, (one) =>
    journey.drive(one, { placed: () => progress.orderPlaced(), settled: () => progress.orderSettled() }),
  );
  progress.stop();
  clearTimeout(deadline);
  return { journeys, stopped };
}

async function main(): Promise<number> {
  const settings = options();
  if (settings.help) {
    console.log(USAGE);
    return 0;
  }
  const endpoints = await localCloud(settings.endpointsFile);
  const run = planRun(settings.orders);
  const deadLetters = new DeadLetters(endpoints);
  const before = await deadLetters.read();
  console.log(
    `Driving ${settings.orders} orders through ${endpoints.api} as a storefront, a warehouse, a carrier and ops (run ${run.runId}).\n` +
      `Watch them in the console: ${endpoints.console}\n`,
  );
  const started = Date.now();
  const { journeys, stopped } = await driveOrders(endpoints, run, settings);
  const seconds = (Date.now() - started) / 1000;

  // Reading back gets its own minute, also after a deadline: the summary is what the run is for.
  const { finals, returns } = await readBack(new DemoApi(endpoints, AbortSignal.timeout(60_000)), journeys);
  const orders = judge(journeys, finals, returns);
  const report: DemoReport = {
    runId: run.runId,
    seconds,
    concurrency: settings.concurrency,
    ...(stopped ? { stopped } : {}),
    outcomes: outcomes(orders, run),
    orders,
    stages: stageTimings([...finals.values()], [...returns.values()]),
    emails: await runEmails(endpoints.mailbox, Math.floor(started / 1000) - 1, run.runId),
    inquiries: journeys.filter((one) => one.inquiryId).length,
    // A visibility timeout is 30 s by default: a little longer, and a message another reader holds is back in sight.
    deadLetters: await deadLetters.settledChanges(before, markers(run, journeys), 35_000, (line) => console.error(line)),
    consoleUrl: endpoints.console,
    mailboxUrl: endpoints.mailbox,
  };
  deadLetters.close();
  console.log(formatReport(report));
  if (settings.reportFile) writeFileSync(settings.reportFile, `${JSON.stringify(report, null, 2)}\n`);
  const fine = !stopped && orders.every((order) => !order.problem) && !deadLettersOfOurs(report.deadLetters);
  return fine ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    if (error instanceof UsageError) {
      console.error(`✖ ${error.message}`);
      process.exit(2);
    }
    console.error(`✖ ${error instanceof NoLocalCloud ? error.message : `The demo failed: ${error.stack ?? error.message}`}`);
    process.exit(1);
  },
);
