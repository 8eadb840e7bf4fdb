import type { OrderView, ReturnView } from './actors.js';
import type { DeadLetterChange } from './dead-letters.js';
import type { Journey } from './journey.js';
import type { DemoRun, Path } from './plan.js';

/** Where each path leads: the statuses (with reason) an order on it may end or rest in. */
const OUTCOMES: Record<Path, readonly string[]> = {
  delivered: ['DELIVERED'],
  declined: ['REJECTED PAYMENT_DECLINED'],
  scarce: ['DELIVERED', 'REJECTED OUT_OF_STOCK'],
  'held-approved': ['DELIVERED'],
  'held-rejected': ['REJECTED FRAUD_SUSPECTED'],
  cancelled: ['CANCELLED CUSTOMER_REQUESTED', 'CANCELLED OPS_REQUESTED'],
  returned: ['DELIVERED'],
  'awaiting-pick': ['FULFILLING'],
  'in-transit': ['SHIPPED'],
  'awaiting-review': ['ON_HOLD'],
};

export const outcomeOf = (order: Pick<OrderView, 'status' | 'statusReason'>) =>
  order.statusReason ? `${order.status} ${order.statusReason}` : order.status;

export interface OrderResult {
  index: number;
  path: Path;
  orderId?: string;
  status?: string;
  statusReason?: string;
  /** Set when the order did not end where its plan leads, or the demo could not follow it: why. */
  problem?: string;
  returnStatus?: ReturnView['status'];
}

export interface StageTiming {
  stage: string;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export interface Emails {
  total: number;
  byKind: Record<string, number>;
}

export interface DemoReport {
  runId: string;
  seconds: number;
  concurrency: number;
  /** Why the run stopped early, if it did. */
  stopped?: string;
  outcomes: { outcome: string; count: number; meaning: string }[];
  orders: OrderResult[];
  stages: StageTiming[];
  emails: Emails;
  inquiries: number;
  deadLetters: DeadLetterChange[];
  consoleUrl: string;
  mailboxUrl: string;
}

/** One sentence per status the run's orders ended or rest in; `inTransit` is one of the orders left SHIPPED. */
function meanings(run: DemoRun, inTransit = '<orderId>'): Record<string, string> {
  const { scarce } = run;
  return {
    DELIVERED: "picked, packed and shipped; the carrier's signed events took it to the door.",
    'REJECTED PAYMENT_DECLINED': 'the sandbox gateway declined the card: nothing charged, no stock held.',
    'REJECTED OUT_OF_STOCK': `wanted the scarce "${scarce.name}" (${scarce.stock} in stock) once it was gone; authorization voided.`,
    'REJECTED FRAUD_SUSPECTED': 'held by the fraud screening and rejected by ops; the card was never charged.',
    'CANCELLED CUSTOMER_REQUESTED': 'cancelled by the customer before picking: stock back, payment refunded.',
    'CANCELLED OPS_REQUESTED': 'cancelled by ops before picking: stock back, payment refunded.',
    FULFILLING: 'resting: waits for the warehouse; left for you to pick and pack in the console.',
    ON_HOLD: 'resting: held for fraud review; left for you to approve or reject in the console.',
    SHIPPED: `resting: in transit; \`npm run carrier -- deliver ${inTransit}\` delivers one.`,
  };
}

/** What became of each order, judged against its plan. */
export function judge(journeys: Journey[], finals: Map<string, OrderView>, returns: Map<string, ReturnView>): OrderResult[] {
  return journeys.map((journey) => {
    const { plan, orderId } = journey;
    const result: OrderResult = { index: plan.index, path: plan.path, ...(orderId ? { orderId } : {}) };
    const order = orderId ? finals.get(orderId) : undefined;
    if (order) {
      result.status = order.status;
      if (order.statusReason) result.statusReason = order.statusReason;
    }
    const returned = journey.returnId ? returns.get(journey.returnId) : undefined;
    if (returned) result.returnStatus = returned.status;
    const problem = problemOf(journey, order, returned);
    if (problem) result.problem = problem;
    return result;
  });
}

function problemOf(journey: Journey, order: OrderView | undefined, returned: ReturnView | undefined): string | undefined {
  const { plan } = journey;
  if (journey.failure) return journey.failure;
  if (!journey.orderId) return journey.stopped ? 'stopped before it was placed' : 'never placed';
  if (!order) return 'could not be read back (GET /orders/{orderId})';
  const stuck = `stopped while waiting for ${journey.step} (it is ${order.status})`;
  const outcome = outcomeOf(order);
  if (!OUTCOMES[plan.path].includes(outcome)) {
    return journey.stopped ? stuck : `ended ${outcome}; its plan (${plan.path}) leads to ${OUTCOMES[plan.path].join(' or ')}`;
  }
  if (plan.path === 'returned' && returned?.status !== 'REFUNDED') {
    return journey.stopped ? stuck : `its return is ${returned?.status ?? 'missing'}, not REFUNDED`;
  }
  return undefined;
}

/** Counts per status, in the order of the journey, each with its sentence. */
export function outcomes(results: OrderResult[], run: DemoRun): DemoReport['outcomes'] {
  const inTransit = results.find((result) => result.path === 'in-transit' && result.status === 'SHIPPED' && !result.problem);
  const meaning = meanings(run, inTransit?.orderId);
  const counts = new Map<string, number>();
  for (const result of results) {
    if (!result.status) continue;
    const outcome = outcomeOf({ status: result.status, statusReason: result.statusReason });
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  const rank = (outcome: string) => {
    const index = Object.keys(meaning).indexOf(outcome);
    return index === -1 ? Number.MAX_SAFE_INTEGER : index;
  };
  return [...counts]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([outcome, count]) => ({
      outcome,
      count,
      meaning: meaning[outcome] ?? 'not a status the demo leads orders to: see the problems below.',
    }));
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const at = (order: OrderView, status: string) => {
  const entry = order.timeline.find((candidate) => candidate.status === status);
  return entry ? Date.parse(entry.at) : undefined;
};

/** p50 and p99 of each stage, from the timestamps Conveyor wrote in the orders' timelines and returns. */
export function stageTimings(finals: OrderView[], returns: ReturnView[]): StageTiming[] {
  const spans: [string, number[]][] = [
    ['placed → confirmed (not held)', []],
    ['confirmed → packed', []],
    ['packed → shipped', []],
    ['shipped → delivered', []],
    ['return requested → refunded', []],
  ];
  const add = (stage: number, from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined) spans[stage]?.[1].push(to - from);
  };
  for (const order of finals) {
    if (at(order, 'ON_HOLD') === undefined) add(0, Date.parse(order.createdAt), at(order, 'CONFIRMED'));
    add(1, at(order, 'CONFIRMED'), at(order, 'PACKED'));
    add(2, at(order, 'PACKED'), at(order, 'SHIPPED'));
    add(3, at(order, 'SHIPPED'), at(order, 'DELIVERED'));
  }
  for (const returned of returns) {
    if (returned.status === 'REFUNDED') add(4, Date.parse(returned.createdAt), Date.parse(returned.updatedAt));
  }
  return spans.map(([stage, values]) => {
    const sorted = values.sort((a, b) => a - b);
    return { stage, count: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
  });
}

const EMAIL_KINDS: [string, RegExp][] = [
  ['confirmed', /confirmed$/],
  ['shipped', /has shipped$/],
  ['delivered', /was delivered$/],
  ['rejected', /could not be completed$/],
  ['cancelled', /cancelled$/],
  ['return instructions', /how to send it back$/],
  ['refunded', /refunded$/],
];

export function countEmails(subjects: string[]): Emails {
  const byKind: Record<string, number> = {};
  for (const subject of subjects) {
    const kind = EMAIL_KINDS.find(([, pattern]) => pattern.test(subject))?.[0] ?? 'other';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return { total: subjects.length, byKind };
}

const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export function formatReport(report: DemoReport): string {
  const lines: string[] = [];
  const placed = report.orders.filter((order) => order.orderId).length;
  const orders = placed === report.orders.length ? `${placed} orders` : `${placed} of ${report.orders.length} orders placed`;
  lines.push(`${orders} in ${report.seconds.toFixed(1)} s (concurrency ${report.concurrency}, run ${report.runId}).`, '');
  lines.push('Orders by status');
  const width = Math.max(...report.outcomes.map((entry) => entry.outcome.length), 10);
  for (const entry of report.outcomes) {
    lines.push(`  ${String(entry.count).padStart(5)}  ${entry.outcome.padEnd(width)}  ${entry.meaning}`);
  }
  const returned = report.orders.filter((order) => order.returnStatus);
  const refunded = returned.filter((order) => order.returnStatus === 'REFUNDED').length;
  if (returned.length) {
    const were = returned.length === 1 ? 'was' : 'were';
    lines.push(`         of the delivered orders, ${returned.length} ${were} sent back: ${refunded} refunded after inspection.`);
  }
  if (report.inquiries) {
    lines.push(
      `         customers asked ${report.inquiries} question${report.inquiries === 1 ? '' : 's'} about parcels in transit (open for ops).`,
    );
  }
  const problems = report.orders.filter((order) => order.problem);
  lines.push('');
  if (problems.length === 0) lines.push('Every order ended, or rests, where its plan leads.');
  else {
    lines.push(`${problems.length} order${problems.length === 1 ? '' : 's'} did not end where the plan leads:`);
    for (const order of problems.slice(0, 20))
      lines.push(`  #${order.index} ${order.orderId ?? '(not placed)'} ${order.path}: ${order.problem}`);
    if (problems.length > 20) lines.push(`  … and ${problems.length - 20} more (--report FILE lists them all).`);
  }
  lines.push('', "Stage times, from the orders' timelines    orders      p50      p99");
  for (const stage of report.stages) {
    const figures = stage.count ? [duration(stage.p50Ms), duration(stage.p99Ms)] : ['–', '–'];
    lines.push(`  ${stage.stage.padEnd(38)} ${String(stage.count).padStart(6)} ${figures.map((figure) => figure.padStart(8)).join(' ')}`);
  }
  const kinds = Object.entries(report.emails.byKind)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  lines.push('', `Emails delivered: ${report.emails.total}${kinds ? ` (${kinds})` : ''}; read them at ${report.mailboxUrl}`);
  lines.push(...formatDeadLetters(report.deadLetters));
  if (report.stopped) lines.push('', report.stopped);
  lines.push('', `Watch it in the console: ${report.consoleUrl}`);
  return lines.join('\n');
}

function formatDeadLetters(changes: DeadLetterChange[]): string[] {
  const lines = ['', 'Dead-letter queues, messages before → after the run'];
  for (const change of changes) {
    const notes = [
      change.ours.length ? `${change.ours.length} about this run's orders` : '',
      change.unread ? `${change.unread} the demo could not read (maybe its own)` : '',
      change.others ? `${change.others} about something else using this cloud` : '',
    ].filter(Boolean);
    lines.push(
      `  ${change.name.padEnd(48)} ${String(change.before).padStart(4)} → ${change.after}${notes.length ? `   ${notes.join('; ')}` : ''}`,
    );
    for (const description of change.ours.slice(0, 3)) lines.push(`      ${description}`);
  }
  const landed = changes.some((change) => change.ours.length > 0 || change.unread > 0);
  lines.push(
    landed
      ? 'The demo puts nothing in a dead-letter queue on purpose: what landed there is a fault to look into.'
      : 'Nothing of this run landed in one.',
  );
  return lines;
}

/** True when a dead-letter queue holds something the demo may have put there (it puts nothing there on purpose). */
export const deadLettersOfOurs = (changes: DeadLetterChange[]) => changes.some((change) => change.ours.length > 0 || change.unread > 0);
