import * as z from 'zod';
import { Money } from './money.js';

/**
 * The finance ledger: every money movement of an order as lines, derived from the order's changes on the
 * table's stream. No PII: a line names the order, never the customer.
 */
export const LedgerEntryType = z.enum(['SALE', 'SHIPPING', 'TAX', 'REFUND']).meta({ id: 'LedgerEntryType' });
export type LedgerEntryType = z.infer<typeof LedgerEntryType>;

/** The columns of a ledger line, in the order exports write them (API.md: exactly these names). */
export const LEDGER_COLUMNS = ['entryId', 'orderId', 'type', 'amount', 'currency', 'occurredAt'] as const;

export const LedgerLine = z
  .object({
    /** Deterministic: the same movement always gets the same id, so a replayed record writes the same line. */
    entryId: z.string(),
    orderId: z.string(),
    type: LedgerEntryType,
    /** Integer minor units; what the customer paid is positive, a refund negative. */
    amount: z.number().int(),
    currency: z.string().regex(/^[A-Z]{3}$/),
    occurredAt: z.iso.datetime(),
  })
  .meta({ id: 'LedgerLine' });
export type LedgerLine = z.infer<typeof LedgerLine>;

/** The lines of one movement (a sale or a refund), stored together under a name derived from the movement itself. */
export interface LedgerMovement {
  /** Unique per movement and stable: `<orderId>.sale` or `<orderId>.refund.<refundId>`. */
  name: string;
  /** The UTC day the movement happened (YYYY-MM-DD): the ledger's partition. */
  day: string;
  lines: LedgerLine[];
}

/** What the ledger reads from an order's image on the stream (validated: a malformed image is an error, not a guess). */
export const LedgerOrderImage = z.object({
  orderId: z.string().min(1),
  items: z.array(z.object({ sku: z.string().min(1), lineTotal: Money })),
  shipping: Money,
  tax: Money,
  total: Money,
  capture: z.object({ captureId: z.string(), amount: Money, at: z.iso.datetime() }).optional(),
  refunds: z.record(z.string(), z.object({ amount: Money, at: z.iso.datetime() })).optional(),
});
export type LedgerOrderImage = z.infer<typeof LedgerOrderImage>;

const day = (at: string) => at.slice(0, 10);

/**
 * The movements an order's change made: its sale when the capture is first recorded (a SALE line per order
 * line, SHIPPING and TAX; zero amounts make no line), and each refund when it first appears (a negative REFUND
 * line). Pure and deterministic: the same change always gives the same movements, whatever record carries it.
 */
export function ledgerMovements(before: LedgerOrderImage | undefined, after: LedgerOrderImage): LedgerMovement[] {
  const movements: LedgerMovement[] = [];
  const { orderId } = after;
  if (after.capture && !before?.capture) {
    const at = after.capture.at;
    const line = (entryId: string, type: LedgerEntryType, money: Money): LedgerLine => ({
      entryId,
      orderId,
      type,
      amount: money.amount,
      currency: money.currency,
      occurredAt: at,
    });
    const lines = [
      ...after.items.map((item) => line(`${orderId}:SALE:${item.sku}`, 'SALE', item.lineTotal)),
      line(`${orderId}:SHIPPING`, 'SHIPPING', after.shipping),
      line(`${orderId}:TAX`, 'TAX', after.tax),
    ].filter((entry) => entry.amount !== 0);
    movements.push({ name: `${orderId}.sale`, day: day(at), lines });
  }
  for (const [refundId, refund] of Object.entries(after.refunds ?? {})) {
    if (before?.refunds?.[refundId]) continue;
    movements.push({
      name: `${orderId}.refund.${refundId}`,
      day: day(refund.at),
      lines: [
        {
          entryId: `${orderId}:REFUND:${refundId}`,
          orderId,
          type: 'REFUND',
          amount: -refund.amount.amount,
          currency: refund.amount.currency,
          occurredAt: refund.at,
        },
      ],
    });
  }
  return movements;
}

/** Finance's figures for a range, per currency (API.md §finance). */
export const CurrencySummary = z
  .object({ currency: z.string(), orders: z.number().int(), gross: z.number().int(), refunds: z.number().int(), net: z.number().int() })
  .meta({ id: 'CurrencySummary' });
export type CurrencySummary = z.infer<typeof CurrencySummary>;

/**
 * Adds up ledger lines as they stream past: orders with a sale, gross paid, refunds (positive), net. Memory stays
 * the same whatever the range: a sale's lines come together (one movement), so an order is counted when a sale
 * line of another order than the previous one's arrives — no set of order ids is kept.
 */
export class LedgerTotals {
  private readonly byCurrency = new Map<string, { orders: number; gross: number; refunds: number }>();
  private lastSale?: string;

  add(line: LedgerLine): void {
    let totals = this.byCurrency.get(line.currency);
    if (!totals) {
      totals = { orders: 0, gross: 0, refunds: 0 };
      this.byCurrency.set(line.currency, totals);
    }
    if (line.type === 'REFUND') {
      totals.refunds -= line.amount;
      return;
    }
    totals.gross += line.amount;
    if (line.orderId !== this.lastSale) totals.orders++;
    this.lastSale = line.orderId;
  }

  summary(): CurrencySummary[] {
    return [...this.byCurrency.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, totals]) => ({ ...totals, currency, net: totals.gross - totals.refunds }))
      .map(({ currency, orders, gross, refunds, net }) => ({ currency, orders, gross, refunds, net }));
  }
}

/** Days from `from` to `to` (YYYY-MM-DD, both included), in order. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${to}T00:00:00Z`); at += 86_400_000)
    days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

/** Where the ledger keeps its lines: one object per movement under its day's partition, written idempotently. */
export interface LedgerStore {
  /** Writes the movement's lines under its name (a second write of the same movement writes the same object). */
  put(movement: LedgerMovement): Promise<void>;
  /**
   * The day's movements in name order, read a few at a time: after `after` when given, and only one order's
   * (whose names start with `<orderId>.`) when `orderId` is given.
   */
  movements(day: string, options?: MovementFilter): AsyncIterable<{ name: string; lines: LedgerLine[] }>;
}

/** Which of a day's movements to read: those after a name, those of one order. */
export interface MovementFilter {
  after?: string;
  orderId?: string;
}

/** The name prefix of one order's movements (`<orderId>.sale`, `<orderId>.refund.<id>`). */
export const movementPrefix = (orderId: string) => `${orderId}.`;

export function movementMatches(name: string, filter: MovementFilter = {}): boolean {
  return (
    (filter.after === undefined || name > filter.after) && (filter.orderId === undefined || name.startsWith(movementPrefix(filter.orderId)))
  );
}

/** A range of days, as finance asks for one: `from` and `to` included. */
const IsoDay = z.iso.date();
export const LedgerRange = z
  .strictObject({ from: IsoDay, to: IsoDay })
  .refine((range) => range.from <= range.to, { message: 'from must not be after to', path: ['to'] });

/** Every ledger line of the range, day by day, movement by movement: memory holds a few movements, whatever the range. */
export async function* ledgerLines(store: LedgerStore, from: string, to: string): AsyncIterable<LedgerLine> {
  for (const day of daysBetween(from, to)) for await (const movement of store.movements(day)) yield* movement.lines;
}

/** Where an export page ended: the day and the last movement it included. */
export interface ExportPosition {
  day: string;
  after: string;
}

/**
 * One page of an export: whole movements until at least `limit` lines, from `start` (or the range's first day),
 * of one order when `range.orderId` is given. `next` is where the following page starts; undefined at the end.
 */
export async function exportPage(
  store: LedgerStore,
  range: { from: string; to: string; orderId?: string },
  limit: number,
  start?: ExportPosition,
): Promise<{ lines: LedgerLine[]; next?: ExportPosition }> {
  const lines: LedgerLine[] = [];
  for (const day of daysBetween(start?.day ?? range.from, range.to)) {
    const after = day === start?.day ? start.after : undefined;
    for await (const movement of store.movements(day, { after, orderId: range.orderId })) {
      lines.push(...movement.lines);
      if (lines.length >= limit) return { lines, next: { day, after: movement.name } };
    }
  }
  return { lines };
}

/** A CSV field, quoted when it has to be (RFC 4180). */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvHeader = () => `${LEDGER_COLUMNS.join(',')}\n`;
export const csvRow = (line: LedgerLine) => `${LEDGER_COLUMNS.map((column) => csvField(line[column])).join(',')}\n`;
export const jsonLine = (line: LedgerLine) => `${JSON.stringify(Object.fromEntries(LEDGER_COLUMNS.map((c) => [c, line[c]])))}\n`;

/** What the ledger holds for one order in a range: its currency, what it booked as paid, and refunds (negative). */
export interface OrderLedger {
  currency: string;
  paid: number;
  refunded: number;
}

/** Collects each order's ledger sums while the lines stream past (the reconciliation needs them per order). */
export class LedgerByOrder {
  readonly orders = new Map<string, OrderLedger>();

  add(line: LedgerLine): void {
    const entry = this.orders.get(line.orderId) ?? { currency: line.currency, paid: 0, refunded: 0 };
    if (line.type === 'REFUND') entry.refunded += line.amount;
    else entry.paid += line.amount;
    this.orders.set(line.orderId, entry);
  }
}

/** What an order itself says it should have in the ledger for a range: its capture and its refunds, by their times. */
export interface OrderMoney {
  orderId: string;
  total: Money;
  capture?: { at: string };
  refunds?: Record<string, { amount: Money; at: string }>;
}

const inRange = (at: string, from: string, to: string) => at.slice(0, 10) >= from && at.slice(0, 10) <= to;

/** The ledger an order should have in the range, from the order alone; undefined when it moved no money in the range. */
export function expectedLedger(order: OrderMoney, from: string, to: string): OrderLedger | undefined {
  const paid = order.capture && inRange(order.capture.at, from, to) ? order.total.amount : 0;
  const refunds = Object.values(order.refunds ?? {}).filter((refund) => inRange(refund.at, from, to));
  const refunded = refunds.reduce((sum, refund) => sum - refund.amount.amount, 0);
  if (!paid && !refunds.length) return undefined;
  return { currency: order.total.currency, paid, refunded };
}

/** An order whose ledger lines in the range differ from what the order says. */
export interface LedgerMismatch {
  orderId: string;
  ledger?: OrderLedger;
  order?: OrderLedger;
}

/** Compares the ledger's sums per order with the orders' own figures; every difference is listed. */
export function compareLedger(
  ledger: ReadonlyMap<string, OrderLedger>,
  expected: ReadonlyMap<string, OrderLedger | undefined>,
): LedgerMismatch[] {
  const mismatches: LedgerMismatch[] = [];
  for (const orderId of new Set([...ledger.keys(), ...expected.keys()])) {
    const booked = ledger.get(orderId);
    const should = expected.get(orderId);
    const same =
      booked && should
        ? booked.currency === should.currency && booked.paid === should.paid && booked.refunded === should.refunded
        : !booked && !should;
    if (!same) mismatches.push({ orderId, ...(booked ? { ledger: booked } : {}), ...(should ? { order: should } : {}) });
  }
  return mismatches.sort((a, b) => a.orderId.localeCompare(b.orderId));
}
