import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { keys, PREFIX } from '../lambdas/adapters/keys.js';
import { StepFunctionsOrderWorkflow } from '../lambdas/adapters/step-functions-workflow.js';
import { FINAL_STATUSES, type OrderStatus } from '../lambdas/domain/orders.js';
import { STAGE_DEADLINE_MINUTES } from '../lambdas/domain/recovery.js';
import type { OrderWorkflow, WorkflowRun } from '../lambdas/domain/workflow.js';
import type { Endpoints } from './cloud.js';
import { LOCAL_CREDENTIALS } from './dynamodb.js';
import { LOCAL_REGION } from './template.js';

/**
 * The reconciliation report: reads a whole table (a paginated scan — an ops tool may scan, a function
 * may not) and the order workflow's runs and queues, and lists everything that should not be:
 * stuck orders, broken stock invariants, leaked reservations, open authorizations, captures without a
 * confirmed order, and messages in dead-letter queues. `npm run reconcile` prints it; the fault test
 * asserts it is all zeros.
 */

export interface StuckOrder {
  orderId: string;
  status: string;
  updatedAt: string;
  why: string;
}

export interface StockViolation {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  /** Units the live reservations of non-final orders hold for this SKU. */
  reservedByOrders: number;
  broken: string[];
}

export interface MissingReservation {
  orderId: string;
  orderStatus: string;
}

export interface LeakedReservation {
  orderId: string;
  orderStatus: string;
  items: Record<string, number>;
}

export interface OpenAuthorization {
  orderId: string;
  authorizationId: string;
  orderStatus: string;
}

export interface OrphanCapture {
  orderId: string;
  captureId: string;
  captured: number;
  refunded: number;
  currency: string;
  orderStatus: string;
}

export interface QueueDepth {
  name: string;
  url: string;
  visible: number;
  inFlight: number;
  deadLetter: boolean;
}

export interface ReconciliationReport {
  table: string;
  at: string;
  itemsScanned: number;
  ordersByStatus: Record<string, number>;
  stuckOrders: StuckOrder[];
  stockViolations: StockViolation[];
  leakedReservations: LeakedReservation[];
  /** Paid orders waiting for the warehouse (CONFIRMED, FULFILLING) whose stock is not held. */
  missingReservations: MissingReservation[];
  openAuthorizations: OpenAuthorization[];
  orphanCaptures: OrphanCapture[];
  /** Every queue looked at; dead-letter queues holding messages are problems. */
  queues: QueueDepth[];
  /** Checks that could not run, and why (no workflow or queues given). */
  skipped: string[];
}

export interface ReportSources {
  db: DynamoDBDocumentClient;
  tableName: string;
  /** Reads each non-final order's run; without it, only stage deadlines tell a stuck order. */
  workflow?: Pick<OrderWorkflow, 'describe'>;
  /** Queues to measure: every queue of the SQS endpoint, or the given URLs. */
  queues?: { sqs: SQSClient; urls?: string[] };
  now?: Date;
  /** Scales the stage deadlines, for a local cloud whose time runs faster (its timeScale). Default 1. */
  deadlineScale?: number;
  /** Parallel scan segments (more is faster on a big table, and costs the same). Default 1. */
  segments?: number;
  /** Told the running total of items scanned after every page. */
  onProgress?: (itemsScanned: number) => void;
}

/** Every order the report names as an offender. */
export function offendingOrders(report: ReconciliationReport): string[] {
  return [
    ...new Set([
      ...report.stuckOrders.map((order) => order.orderId),
      ...report.leakedReservations.map((leak) => leak.orderId),
      ...report.missingReservations.map((order) => order.orderId),
      ...report.openAuthorizations.map((auth) => auth.orderId),
      ...report.orphanCaptures.map((capture) => capture.orderId),
    ]),
  ];
}

/** The problems a report found, by check; every count should be zero. */
export function problemCounts(report: ReconciliationReport): Record<string, number> {
  return {
    'stuck orders': report.stuckOrders.length,
    'stock invariants broken': report.stockViolations.length,
    'reservations of finished orders': report.leakedReservations.length,
    'paid orders holding no stock': report.missingReservations.length,
    'authorizations left open': report.openAuthorizations.length,
    'captures without a confirmed order': report.orphanCaptures.length,
    'messages in dead-letter queues': report.queues
      .filter((queue) => queue.deadLetter)
      .reduce((sum, queue) => sum + queue.visible + queue.inFlight, 0),
  };
}

export const totalProblems = (report: ReconciliationReport) => Object.values(problemCounts(report)).reduce((sum, count) => sum + count, 0);

type Item = Record<string, unknown>;

interface TableContents {
  orders: Map<string, { status: OrderStatus; updatedAt: string }>;
  stock: Map<string, { onHand: number; reserved: number; available: number }>;
  reservations: Map<string, Record<string, number>>;
  payments: {
    orderId: string;
    authorizationId: string;
    status: string;
    amount: number;
    currency: string;
    captureId?: string;
    refunded: number;
  }[];
}

const num = (value: unknown) => (typeof value === 'number' ? value : Number(value ?? 0));

/** Sorts one item into what the report needs, by its key (lambdas/adapters/keys.ts is the one schema). */
function classify(item: Item, into: TableContents): void {
  const pk = String(item.pk ?? '');
  const sk = String(item.sk ?? '');
  if (pk.startsWith(PREFIX.order)) {
    const orderId = pk.slice(PREFIX.order.length);
    if (sk === keys.order(orderId).sk) into.orders.set(orderId, { status: item.status as OrderStatus, updatedAt: String(item.updatedAt) });
    else if (sk === keys.reservation(orderId).sk) {
      const items = (item.items ?? {}) as Record<string, unknown>;
      into.reservations.set(orderId, Object.fromEntries(Object.entries(items).map(([sku, units]) => [sku, num(units)])));
    }
  } else if (pk.startsWith(PREFIX.product)) {
    const sku = pk.slice(PREFIX.product.length);
    if (sk === keys.stock(sku).sk)
      into.stock.set(sku, { onHand: num(item.onHand), reserved: num(item.reserved), available: num(item.available) });
  } else if (pk.startsWith(PREFIX.payment) && sk.startsWith(keys.authorizationPrefix())) {
    const orderId = pk.slice(PREFIX.payment.length);
    const amount = (item.amount ?? {}) as { amount?: number; currency?: string };
    into.payments.push({
      orderId,
      authorizationId: String(item.authorizationId ?? sk.slice(keys.authorizationPrefix().length)),
      status: String(item.status),
      amount: num(amount.amount),
      currency: String(amount.currency ?? ''),
      ...(item.captureId ? { captureId: String(item.captureId) } : {}),
      refunded: num(item.refundedAmount),
    });
  }
}

const PROJECTION = [
  'pk',
  'sk',
  'status',
  'updatedAt',
  'onHand',
  'reserved',
  'available',
  'items',
  'authorizationId',
  'amount',
  'captureId',
  'refundedAmount',
];

async function scanTable(sources: ReportSources): Promise<{ contents: TableContents; itemsScanned: number }> {
  const contents: TableContents = { orders: new Map(), stock: new Map(), reservations: new Map(), payments: [] };
  const segments = Math.max(1, sources.segments ?? 1);
  let itemsScanned = 0;
  const names = Object.fromEntries(PROJECTION.map((name, i) => [`#a${i}`, name]));
  const scanSegment = async (segment: number) => {
    let startKey: Item | undefined;
    do {
      const page = await sources.db.send(
        new ScanCommand({
          TableName: sources.tableName,
          ProjectionExpression: Object.keys(names).join(', '),
          ExpressionAttributeNames: names,
          ExclusiveStartKey: startKey,
          ...(segments > 1 ? { Segment: segment, TotalSegments: segments } : {}),
        }),
      );
      for (const item of page.Items ?? []) classify(item, contents);
      itemsScanned += page.Items?.length ?? 0;
      sources.onProgress?.(itemsScanned);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  };
  await Promise.all(Array.from({ length: segments }, (_, segment) => scanSegment(segment)));
  return { contents, itemsScanned };
}

/** Runs `work` over `items`, at most `concurrency` at a time. */
async function eachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

const isFinal = (status: string | undefined) => status !== undefined && FINAL_STATUSES.includes(status as OrderStatus);

/** Past its stage's deadline: a transient status (PENDING, CONFIRMED, PACKED) not left in time. */
function overdue(order: { status: OrderStatus; updatedAt: string }, now: Date, scale: number): number | undefined {
  const minutes = (STAGE_DEADLINE_MINUTES as Partial<Record<OrderStatus, number>>)[order.status];
  if (minutes === undefined) return undefined;
  return now.getTime() - Date.parse(order.updatedAt) > minutes * 60_000 * scale ? minutes : undefined;
}

function runProblem(status: OrderStatus, run: WorkflowRun | undefined): string | undefined {
  if (!run) return status === 'PENDING' ? undefined : 'it has no workflow run';
  if (run.status === 'FAILED' || run.status === 'TIMED_OUT' || run.status === 'ABORTED')
    return `its workflow run ${run.status}${run.error ? ` (${run.error})` : ''}`;
  if (run.status === 'SUCCEEDED') return 'its workflow run ended but the order is not final';
  return undefined;
}

async function stuckOrders(contents: TableContents, sources: ReportSources, now: Date): Promise<StuckOrder[]> {
  const scale = sources.deadlineScale ?? 1;
  const stuck: StuckOrder[] = [];
  const live = [...contents.orders].filter(([, order]) => !isFinal(order.status));
  await eachLimited(live, 8, async ([orderId, order]) => {
    const why: string[] = [];
    const minutes = overdue(order, now, scale);
    if (minutes !== undefined) why.push(`${order.status} past its ${minutes}-minute deadline${scale === 1 ? '' : ` (×${scale})`}`);
    const run = sources.workflow ? await sources.workflow.describe(orderId) : undefined;
    const problem = sources.workflow ? runProblem(order.status, run) : undefined;
    if (problem) why.push(problem);
    if (why.length) stuck.push({ orderId, status: order.status, updatedAt: order.updatedAt, why: why.join('; ') });
  });
  return stuck.sort((a, b) => a.orderId.localeCompare(b.orderId));
}

/** From the capture until the parcel leaves (ShipStock, after PACKED), an order's units are held by its reservation. */
const HOLDS_STOCK: readonly OrderStatus[] = ['CONFIRMED', 'FULFILLING'];

function missingReservations(contents: TableContents): MissingReservation[] {
  return [...contents.orders]
    .filter(([orderId, order]) => HOLDS_STOCK.includes(order.status) && !contents.reservations.has(orderId))
    .map(([orderId, order]) => ({ orderId, orderStatus: order.status }));
}

function stockViolations(contents: TableContents): { violations: StockViolation[]; leaked: LeakedReservation[] } {
  const held = new Map<string, number>();
  const leaked: LeakedReservation[] = [];
  for (const [orderId, items] of contents.reservations) {
    const status = contents.orders.get(orderId)?.status;
    // A reservation exists exactly while units are held for a live order; a finished (or missing) order's is a leak.
    if (status === undefined || isFinal(status)) leaked.push({ orderId, orderStatus: status ?? 'MISSING', items });
    for (const [sku, units] of Object.entries(items)) held.set(sku, (held.get(sku) ?? 0) + units);
  }
  const violations: StockViolation[] = [];
  for (const sku of new Set([...contents.stock.keys(), ...held.keys()])) {
    const level = contents.stock.get(sku) ?? { onHand: 0, reserved: 0, available: 0 };
    const reservedByOrders = held.get(sku) ?? 0;
    const broken: string[] = [];
    if (!contents.stock.has(sku)) broken.push('reserved by orders but has no stock item');
    if (level.available !== level.onHand - level.reserved) broken.push('available ≠ onHand − reserved');
    if (level.available < 0) broken.push('available < 0');
    if (level.onHand < 0 || level.reserved < 0) broken.push('onHand or reserved < 0');
    if (level.reserved !== reservedByOrders) broken.push(`reserved ≠ ${reservedByOrders} units held by reservations`);
    if (broken.length) violations.push({ sku, ...level, reservedByOrders, broken });
  }
  return { violations: violations.sort((a, b) => a.sku.localeCompare(b.sku)), leaked };
}

function paymentProblems(contents: TableContents, now: Date, scale: number) {
  const open: OpenAuthorization[] = [];
  const orphans: OrphanCapture[] = [];
  for (const payment of contents.payments) {
    const order = contents.orders.get(payment.orderId);
    const orderStatus = order?.status ?? 'MISSING';
    // An authorization is open legitimately only while the order waits for payment or review.
    if (payment.status === 'AUTHORIZED' && orderStatus !== 'PENDING' && orderStatus !== 'ON_HOLD') {
      open.push({ orderId: payment.orderId, authorizationId: payment.authorizationId, orderStatus });
    }
    // A PENDING order is captured a moment before it is confirmed: only one past its deadline counts.
    const unconfirmed =
      orderStatus === 'REJECTED' ||
      orderStatus === 'CANCELLED' ||
      orderStatus === 'MISSING' ||
      (order?.status === 'PENDING' && overdue(order, now, scale) !== undefined);
    if (payment.status === 'CAPTURED' && payment.refunded < payment.amount && unconfirmed) {
      orphans.push({
        orderId: payment.orderId,
        captureId: payment.captureId ?? '?',
        captured: payment.amount,
        refunded: payment.refunded,
        currency: payment.currency,
        orderStatus,
      });
    }
  }
  return { open, orphans };
}

/** Every queue of the endpoint (or the URLs given) with its depth; a queue another one's redrive policy names is a DLQ. */
async function queueDepths(sqs: SQSClient, urls?: string[]): Promise<QueueDepth[]> {
  const queueUrls = urls?.length ? urls : ((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []);
  const described = await Promise.all(
    queueUrls.map(async (url) => ({
      url,
      attributes: (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {},
    })),
  );
  const deadLetterArns = new Set(
    described
      .map(
        ({ attributes }) =>
          attributes.RedrivePolicy && (JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn,
      )
      .filter(Boolean),
  );
  return described.map(({ url, attributes }) => {
    const name = url.split('/').at(-1) ?? url;
    return {
      name,
      url,
      visible: num(attributes.ApproximateNumberOfMessages) + num(attributes.ApproximateNumberOfMessagesDelayed),
      inFlight: num(attributes.ApproximateNumberOfMessagesNotVisible),
      // Named like one (--queue-url without its source queue), or the target of a redrive policy.
      // A stream mapping's failure destination (StreamFailures) is a dead-letter queue too, though no queue names it.
      deadLetter: deadLetterArns.has(attributes.QueueArn) || /dlq|dead-?letter|streamfailures/i.test(name),
    };
  });
}

export async function reconciliationReport(sources: ReportSources): Promise<ReconciliationReport> {
  const now = sources.now ?? new Date();
  const { contents, itemsScanned } = await scanTable(sources);
  const ordersByStatus: Record<string, number> = {};
  for (const order of contents.orders.values()) ordersByStatus[order.status] = (ordersByStatus[order.status] ?? 0) + 1;
  const { violations, leaked } = stockViolations(contents);
  const { open, orphans } = paymentProblems(contents, now, sources.deadlineScale ?? 1);
  const skipped: string[] = [];
  if (!sources.workflow) skipped.push('workflow runs (stuck orders are told by stage deadlines only)');
  if (!sources.queues) skipped.push('queue and DLQ depths');
  return {
    table: sources.tableName,
    at: now.toISOString(),
    itemsScanned,
    ordersByStatus: Object.fromEntries(Object.entries(ordersByStatus).sort(([a], [b]) => a.localeCompare(b))),
    stuckOrders: await stuckOrders(contents, sources, now),
    stockViolations: violations,
    leakedReservations: leaked,
    missingReservations: missingReservations(contents),
    openAuthorizations: open,
    orphanCaptures: orphans,
    queues: sources.queues ? await queueDepths(sources.queues.sqs, sources.queues.urls) : [],
    skipped,
  };
}

/** The report for a terminal: counts first (zero where all is well), then each offender. */
export function formatReport(report: ReconciliationReport, maxListed = 20): string {
  const lines: string[] = [`Reconciliation of ${report.table} at ${report.at} (${report.itemsScanned} items scanned)`, ''];
  const orders = Object.entries(report.ordersByStatus);
  const totalOrders = orders.reduce((sum, [, count]) => sum + count, 0);
  lines.push(`Orders by status (${totalOrders})`);
  for (const [status, count] of orders) lines.push(`  ${status.padEnd(12)} ${String(count).padStart(7)}`);
  if (report.queues.length) {
    lines.push('', 'Queues (visible / in flight)');
    for (const queue of report.queues)
      lines.push(
        `  ${queue.name.padEnd(48)} ${String(queue.visible).padStart(6)} / ${String(queue.inFlight).padEnd(6)}${queue.deadLetter ? ' DLQ' : ''}`,
      );
  }
  lines.push('', 'Problems');
  const counts = problemCounts(report);
  for (const [what, count] of Object.entries(counts)) lines.push(`  ${count === 0 ? '✓' : '✖'} ${what.padEnd(36)} ${count}`);
  for (const skipped of report.skipped) lines.push(`  – not checked: ${skipped}`);
  const list = <T>(title: string, items: T[], describe: (item: T) => string) => {
    if (!items.length) return;
    lines.push('', title);
    for (const item of items.slice(0, maxListed)) lines.push(`  ${describe(item)}`);
    if (items.length > maxListed) lines.push(`  … and ${items.length - maxListed} more (--json lists them all)`);
  };
  list('Stuck orders', report.stuckOrders, (order) => `${order.orderId}  ${order.status}  updated ${order.updatedAt}: ${order.why}`);
  list(
    'Stock invariants broken',
    report.stockViolations,
    (stock) =>
      `${stock.sku}  onHand ${stock.onHand}, reserved ${stock.reserved}, available ${stock.available}, held by orders ${stock.reservedByOrders}: ${stock.broken.join('; ')}`,
  );
  list(
    'Reservations of finished orders',
    report.leakedReservations,
    (leak) => `${leak.orderId}  ${leak.orderStatus}  holds ${JSON.stringify(leak.items)}`,
  );
  list('Paid orders holding no stock', report.missingReservations, (order) => `${order.orderId}  ${order.orderStatus}`);
  list(
    'Authorizations left open',
    report.openAuthorizations,
    (auth) => `${auth.orderId}  ${auth.authorizationId}  order ${auth.orderStatus}`,
  );
  list(
    'Captures without a confirmed order',
    report.orphanCaptures,
    (capture) =>
      `${capture.orderId}  ${capture.captureId}  captured ${capture.captured} ${capture.currency}, refunded ${capture.refunded}, order ${capture.orderStatus}`,
  );
  list(
    'Dead-letter queues holding messages',
    report.queues.filter((queue) => queue.deadLetter && queue.visible + queue.inFlight > 0),
    (queue) => `${queue.name}  ${queue.visible + queue.inFlight} messages`,
  );
  const total = totalProblems(report);
  lines.push('', total === 0 ? 'All clear.' : `${total} problem${total === 1 ? '' : 's'} found.`);
  return lines.join('\n');
}

/** What a report reads in a local cloud: its table, its order workflow (found by name) and every queue of its SQS. */
export async function localReportSources(endpoints: Endpoints): Promise<ReportSources & { workflow: OrderWorkflow }> {
  const local = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const sfn = new SFNClient({ ...local, endpoint: endpoints.stepfunctions });
  const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
  const machine = stateMachines.find((candidate) => candidate.name?.includes('OrderWorkflow'));
  if (!machine?.stateMachineArn) throw new Error(`The local cloud at ${endpoints.stepfunctions} has no order workflow.`);
  return {
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ ...local, endpoint: endpoints.dynamodb })),
    tableName: endpoints.table,
    workflow: new StepFunctionsOrderWorkflow(machine.stateMachineArn, undefined, sfn),
    queues: { sqs: new SQSClient({ ...local, endpoint: endpoints.sqs }) },
  };
}
