import * as z from 'zod';
import type { Principal } from './auth.js';
import { Sku } from './catalog.js';
import { IdempotencyKeyReused, NotFound, ReturnContended, ReturnExceedsDelivered, ReturnNotAllowed, ValidationFailed } from './errors.js';
import { type Money, Money as MoneySchema, money } from './money.js';
// Types only: orders.ts imports this module's schemas, so a runtime import back would be a cycle.
import type { OrderRepository, StoredOrder } from './orders.js';

/** What RequestReturn issues: `ret_` + time and randomness in lower-case base 36 and hex. */
export const ReturnId = z.string().regex(/^ret_[a-z0-9]{8,40}$/, 'is not a return id');

/** REQUESTED → RECEIVED (the parcel arrived) → REFUNDED (inspected, restocked if resellable, refunded); never backwards. */
export const ReturnStatus = z.enum(['REQUESTED', 'RECEIVED', 'REFUNDED']).meta({ id: 'ReturnStatus' });
export type ReturnStatus = z.infer<typeof ReturnStatus>;

export const ReturnCondition = z.enum(['RESELLABLE', 'DAMAGED']).meta({ id: 'ReturnCondition' });
export type ReturnCondition = z.infer<typeof ReturnCondition>;

export const ReturnLine = z.strictObject({ sku: Sku, quantity: z.number().int().min(1).max(999) });
export type ReturnLine = z.infer<typeof ReturnLine>;

export const RequestReturnBody = z
  .strictObject({
    items: z
      .array(ReturnLine)
      .min(1)
      .max(50)
      .refine((items) => new Set(items.map((item) => item.sku)).size === items.length, 'must list each SKU once'),
    reason: z.string().trim().min(1).max(500),
  })
  .meta({ id: 'RequestReturnBody' });
export type RequestReturnBody = z.infer<typeof RequestReturnBody>;

export const ReturnRequested = z
  .object({ returnId: z.string(), rmaNumber: z.string(), status: z.literal('REQUESTED') })
  .meta({ id: 'ReturnRequested' });

const ReturnedItem = z.object({ sku: z.string(), name: z.string(), quantity: z.number().int() });

/** A return as the order lists it. `refund` appears once the money went back. */
export const ReturnSummary = z
  .object({
    returnId: z.string(),
    rmaNumber: z.string(),
    status: ReturnStatus,
    items: z.array(ReturnedItem),
    refund: MoneySchema.optional(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'ReturnSummary' });
export type ReturnSummary = z.infer<typeof ReturnSummary>;

export const Return = z
  .object({
    returnId: z.string(),
    rmaNumber: z.string(),
    orderId: z.string(),
    items: z.array(ReturnedItem),
    reason: z.string(),
    status: ReturnStatus,
    condition: ReturnCondition.optional(),
    /** What the refund will be, fixed when the return was requested. */
    refundDue: MoneySchema,
    /** What was refunded, once REFUNDED. */
    refund: MoneySchema.optional(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Return' });
export type Return = z.infer<typeof Return>;

export const ReturnEventType = z.enum(['RECEIVED', 'INSPECTED']);

const returnEventFields = {
  // Visible ASCII, which also keeps characters SQS refuses out of the queue.
  eventId: z.string().regex(/^[!-~]{1,128}$/, 'must be 1–128 visible ASCII characters'),
  type: ReturnEventType,
  condition: ReturnCondition.optional(),
};

/** An inspection says what state the units came back in; a receipt cannot. */
function conditionOnlyForInspections(event: { type: string; condition?: string }, context: z.RefinementCtx): void {
  if (event.type === 'INSPECTED' && event.condition === undefined)
    context.addIssue({ code: 'custom', path: ['condition'], message: 'is required for INSPECTED' });
  if (event.type === 'RECEIVED' && event.condition !== undefined)
    context.addIssue({ code: 'custom', path: ['condition'], message: 'is only for INSPECTED' });
}

/** A warehouse event about a return. */
export const ReturnEvent = z.strictObject(returnEventFields).superRefine(conditionOnlyForInspections).meta({ id: 'ReturnEvent' });
export type ReturnEvent = z.infer<typeof ReturnEvent>;

/** What the returns queue carries: the warehouse's event and the return it is about. */
export const QueuedReturnEvent = z.strictObject({ returnId: ReturnId, ...returnEventFields }).superRefine(conditionOnlyForInspections);
export type QueuedReturnEvent = z.infer<typeof QueuedReturnEvent>;

/** A return as stored: the API's Return plus what only Conveyor sees, and the markers of the steps done. */
export interface StoredReturn extends Return {
  storefrontId: string;
  customer: { email: string; name: string };
  receivedAt?: string;
  inspectedAt?: string;
  /** Set in the same transaction that put resellable units back in stock: it happens once. */
  restockedAt?: string;
  refundedAt?: string;
  /** Which queue message is sending the refund email, since when. */
  refundEmailClaim?: { owner: string; at: string };
  /** The refund email went out (at least once). */
  refundEmailedAt?: string;
  /** A digest of the request, when it came with an Idempotency-Key: a repeat must carry the same request. */
  requestHash?: string;
}

/** Per SKU, how many units of the order's lines were returned so far (every line's SKU is a key once initialised). */
export type ReturnedUnits = Record<string, number>;

/** The returns port. */
export interface ReturnRepository {
  get(returnId: string, consistent?: boolean): Promise<StoredReturn | undefined>;
  /**
   * Gives an order placed before returns existed its (empty) returned counters and return list; idempotent, changes
   * nothing on an order that has them.
   */
  prepareOrder(order: StoredOrder): Promise<void>;
  /**
   * Writes the return and the order's new returned counters and return summary in one transaction, on condition that
   * the order is still DELIVERED and its counters are still `before` (what the return was planned on). `conflict`
   * when anything changed in between (another return, a concurrent one): nothing was written, plan again.
   */
  create(stored: StoredReturn, before: ReturnedUnits, after: ReturnedUnits): Promise<'created' | 'conflict'>;
  /** REQUESTED → RECEIVED, on the return and the order's summary; false when it was past REQUESTED already. */
  markReceived(stored: StoredReturn, at: string): Promise<boolean>;
  /**
   * Records the inspection's condition unless one was recorded before (the first inspection wins), and moves a
   * REQUESTED return to RECEIVED. Returns the condition that stands.
   */
  claimInspection(stored: StoredReturn, condition: ReturnCondition, at: string): Promise<ReturnCondition>;
  /** Puts the return's units back in stock (onHand and available) with a marker on the return, once. False when done before. */
  restock(stored: StoredReturn, at: string): Promise<boolean>;
  /** Marks the return REFUNDED with what was refunded, on the return and the order's summary; false when it was already. */
  markRefunded(stored: StoredReturn, refund: Money, at: string): Promise<boolean>;
  /**
   * Takes the refund email for one queue message (`owner`, its message id, which a redelivery keeps): true when this
   * message is to send it — no other message holds it, or its hold is older than `staleBefore` — false when it was
   * sent already or another message is sending it (and will, or its redelivery will).
   */
  claimRefundEmail(returnId: string, owner: string, at: string, staleBefore: string): Promise<boolean>;
  /** Notes that the refund email went out. */
  markRefundEmailed(returnId: string, at: string): Promise<void>;
}

/** The queue warehouse return events wait in between the API and ProcessReturn. */
export interface ReturnEventQueue {
  enqueue(event: QueuedReturnEvent): Promise<void>;
}

type PricedOrder = Pick<StoredOrder, 'items' | 'subtotal' | 'shipping' | 'tax' | 'total'>;

/** round(a × b / c) for non-negative integers, half up, exact for any size. */
function roundedShare(a: number, b: number, c: number): number {
  if (c === 0) return 0;
  return Number((2n * BigInt(a) * BigInt(b) + BigInt(c)) / (2n * BigInt(c)));
}

const everythingReturned = (order: PricedOrder, returned: ReturnedUnits) =>
  order.items.every((line) => (returned[line.sku] ?? 0) >= line.quantity);

/**
 * What the customer is owed for everything returned so far (`returned`, units per SKU), cumulatively: the returned
 * units' prices plus their share of the tax — tax is charged on goods and shipping, so the goods' share is
 * tax × goods / (subtotal + shipping), rounded half up — and, once every unit came back, exactly the order's total
 * (shipping and its tax, and whatever rounding left over). Never more than the total, never less than before.
 */
export function refundDueFor(order: PricedOrder, returned: ReturnedUnits): Money {
  const { currency } = order.total;
  if (everythingReturned(order, returned)) return money(order.total.amount, currency);
  const goods = order.items.reduce((sum, line) => sum + line.unitPrice.amount * Math.min(returned[line.sku] ?? 0, line.quantity), 0);
  return money(goods + roundedShare(order.tax.amount, goods, order.subtotal.amount + order.shipping.amount), currency);
}

/**
 * One return's refund: what is due after it minus what was due before it. The differences add up to the cumulative
 * due, so however the units are split over returns, their refunds sum to the order's total when all came back, and
 * rounding never accumulates past it.
 */
export function returnRefund(order: PricedOrder, before: ReturnedUnits, lines: readonly ReturnLine[]): Money {
  const after = addReturned(before, lines);
  return money(refundDueFor(order, after).amount - refundDueFor(order, before).amount, order.total.currency);
}

export function addReturned(before: ReturnedUnits, lines: readonly ReturnLine[]): ReturnedUnits {
  const after = { ...before };
  for (const line of lines) after[line.sku] = (after[line.sku] ?? 0) + line.quantity;
  return after;
}

/**
 * Checks a return against the order as it is now: DELIVERED (else RETURN_NOT_ALLOWED), every SKU on the order
 * (else 422), no more units than delivered and not yet returned (else RETURN_EXCEEDS_DELIVERED).
 */
export function checkReturnable(order: StoredOrder, returned: ReturnedUnits, lines: readonly ReturnLine[]): void {
  if (order.status !== 'DELIVERED')
    throw new ReturnNotAllowed(`Order ${order.orderId} is ${order.status}; only a DELIVERED order can be returned.`);
  const onOrder = new Map(order.items.map((line) => [line.sku, line.quantity]));
  const strangers = lines.flatMap((line, i) =>
    onOrder.has(line.sku) ? [] : [{ path: `body.items.${i}.sku`, message: 'is not on the order' }],
  );
  if (strangers.length) throw new ValidationFailed('Some SKUs are not on the order; see details.', { details: strangers });
  const excess = lines.flatMap((line, i) => {
    const left = (onOrder.get(line.sku) ?? 0) - (returned[line.sku] ?? 0);
    return line.quantity > left
      ? [{ path: `body.items.${i}.quantity`, message: `at most ${left} unit(s) of ${line.sku} can still be returned` }]
      : [];
  });
  if (excess.length)
    throw new ReturnExceedsDelivered('The return asks for more units than were delivered and not yet returned; see details.', {
      details: excess,
    });
}

/** A storefront sees only its own orders' returns; another's is simply not found. */
export async function visibleReturn(
  repository: Pick<ReturnRepository, 'get'>,
  returnId: string,
  principal: Principal | undefined,
): Promise<StoredReturn> {
  const found = await repository.get(returnId);
  if (!found || (principal?.scope === 'storefront' && found.storefrontId !== principal.storefrontId))
    throw NotFound.of(`Return ${returnId}`);
  return found;
}

export interface NewReturnIds {
  returnId: string;
  rmaNumber: string;
  /**
   * Set when the ids were derived from the request's Idempotency-Key (the same key on the same order names the
   * same return): the digest of the request, which a repeat of the key must match.
   */
  requestHash?: string;
}

/**
 * Requests a return of a DELIVERED order's units: plans it on the order as read (checks, refund due), then writes it
 * on condition that the order's returned counters did not change meanwhile. A concurrent return makes the write a
 * conflict: read again and plan again, so two returns at once never return more than was delivered.
 */
export async function requestReturn(
  deps: { orders: Pick<OrderRepository, 'get'>; returns: Pick<ReturnRepository, 'get' | 'prepareOrder' | 'create'> },
  request: { orderId: string; body: RequestReturnBody; principal: Principal | undefined; ids: NewReturnIds; now: string },
): Promise<{ stored: StoredReturn; replayed: boolean }> {
  const { orderId, body, principal, ids, now } = request;
  const MAX_ATTEMPTS = 8;
  for (let attempt = 1; ; attempt++) {
    const order = await visibleOrderConsistently(deps.orders, orderId, principal);
    // With an Idempotency-Key the id is the key's: a return under it means this request was made before (or is
    // being made right now, and won the create): the same request gets that return, another one a 409.
    if (ids.requestHash !== undefined) {
      const earlier = await deps.returns.get(ids.returnId, true);
      if (earlier?.requestHash === ids.requestHash) return { stored: earlier, replayed: true };
      if (earlier) throw new IdempotencyKeyReused('This Idempotency-Key was used for a different return; use a new key for a new return.');
    }
    if (order.status === 'DELIVERED' && (order as ReturnsOnOrder).returned === undefined) {
      await deps.returns.prepareOrder(order);
      continue;
    }
    const before = { ...(order as ReturnsOnOrder).returned };
    checkReturnable(order, before, body.items);
    const stored = newReturn(order, body, ids, returnRefund(order, before, body.items), now);
    if ((await deps.returns.create(stored, before, addReturned(before, body.items))) === 'created') return { stored, replayed: false };
    if (attempt >= MAX_ATTEMPTS) throw new ReturnContended(`A return of order ${orderId} kept conflicting with other writes to the order.`);
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt * Math.random()));
  }
}

/** What an order keeps about its returns (absent on orders no one asked to return yet). */
export interface ReturnsOnOrder {
  returned?: ReturnedUnits;
  returnsById?: Record<string, ReturnSummary>;
}

/** As `visibleOrder` (orders.ts) does, read consistently: a retry after a conflict must see the write that caused it. */
async function visibleOrderConsistently(orders: Pick<OrderRepository, 'get'>, orderId: string, principal: Principal | undefined) {
  const order = await orders.get(orderId, true);
  if (!order || (principal?.scope === 'storefront' && order.storefrontId !== principal.storefrontId)) throw NotFound.of(`Order ${orderId}`);
  return order;
}

function newReturn(order: StoredOrder, body: RequestReturnBody, ids: NewReturnIds, refundDue: Money, now: string): StoredReturn {
  const names = new Map(order.items.map((line) => [line.sku, line.name]));
  return {
    ...ids,
    orderId: order.orderId,
    storefrontId: order.storefrontId,
    customer: { email: order.customer.email, name: order.customer.name },
    items: body.items.map((line) => ({ sku: line.sku, name: names.get(line.sku) ?? line.sku, quantity: line.quantity })),
    reason: body.reason,
    status: 'REQUESTED',
    refundDue,
    createdAt: now,
    updatedAt: now,
  };
}

/** The order's summary of a return. */
export function returnSummary(
  stored: Pick<StoredReturn, 'returnId' | 'rmaNumber' | 'status' | 'items' | 'refund' | 'createdAt'>,
): ReturnSummary {
  return {
    returnId: stored.returnId,
    rmaNumber: stored.rmaNumber,
    status: stored.status,
    items: stored.items,
    ...(stored.refund ? { refund: stored.refund } : {}),
    createdAt: stored.createdAt,
  };
}

/** A return as the API shows it: without the customer's address details, storefront or step markers. */
export function toApiReturn(stored: StoredReturn): Return {
  return {
    returnId: stored.returnId,
    rmaNumber: stored.rmaNumber,
    orderId: stored.orderId,
    items: stored.items,
    reason: stored.reason,
    status: stored.status,
    ...(stored.condition ? { condition: stored.condition } : {}),
    refundDue: stored.refundDue,
    ...(stored.refund ? { refund: stored.refund } : {}),
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}
