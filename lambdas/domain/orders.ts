import * as z from 'zod';
import type { Principal } from './auth.js';
import { Sku } from './catalog.js';
import { NotFound, OrderCancelled } from './errors.js';
import type { VelocityWindow } from './fraud.js';
import { Money } from './money.js';
import type { Refund } from './payments.js';
import type { CatalogEntry } from './pricing.js';
import { ReturnSummary, type ReturnsOnOrder } from './returns.js';

export const Country = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as DE')
  .meta({ id: 'Country' });

export const Address = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    line1: z.string().trim().min(1).max(200),
    line2: z.string().trim().max(200).optional(),
    city: z.string().trim().min(1).max(100),
    postalCode: z.string().trim().min(1).max(20),
    country: Country,
    phone: z.string().trim().max(40).optional(),
  })
  .meta({ id: 'Address' });
export type Address = z.infer<typeof Address>;

export const ShippingOption = z.enum(['standard', 'express', 'overnight']).meta({ id: 'ShippingOption' });
export type ShippingOption = z.infer<typeof ShippingOption>;

export const PlaceOrderBody = z
  .strictObject({
    customer: z.strictObject({
      id: z.string().trim().min(1).max(128),
      email: z.email().max(254),
      name: z.string().trim().min(1).max(200),
    }),
    items: z
      .array(z.strictObject({ sku: Sku, quantity: z.number().int().min(1).max(999) }))
      .min(1)
      .max(50)
      .refine((items) => new Set(items.map((item) => item.sku)).size === items.length, 'must list each SKU once'),
    shippingAddress: Address,
    billingAddress: Address.optional(),
    shippingOption: ShippingOption,
    payment: z.strictObject({ token: z.string().min(1).max(256) }),
  })
  .meta({ id: 'PlaceOrderBody' });
export type PlaceOrderBody = z.infer<typeof PlaceOrderBody>;

export const IdempotencyKey = z.string().min(1).max(128);

/** What PlaceOrder issues: `ord_` + time and randomness in lower-case base 36 and hex. */
export const OrderId = z.string().regex(/^ord_[a-z0-9]{8,40}$/, 'is not an order id');

export const OrderStatus = z
  .enum(['PENDING', 'ON_HOLD', 'CONFIRMED', 'FULFILLING', 'PACKED', 'SHIPPED', 'DELIVERED', 'REJECTED', 'CANCELLED'])
  .meta({ id: 'OrderStatus' });
export type OrderStatus = z.infer<typeof OrderStatus>;

export const RejectionReason = z.enum(['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'FRAUD_SUSPECTED']);
export type RejectionReason = z.infer<typeof RejectionReason>;

/**
 * Why an order was cancelled: at the request of its storefront (the customer) or of ops, through
 * POST /orders/{id}/cancel; or by Conveyor itself, when a step after the capture failed for good.
 * Either way the stock was released and the payment voided or refunded.
 */
export const CancellationReason = z.enum(['CUSTOMER_REQUESTED', 'OPS_REQUESTED', 'FULFILLMENT_FAILED']);
export type CancellationReason = z.infer<typeof CancellationReason>;

/** The statuses an order can be cancelled in: anything before its units ship. */
export const CANCELLABLE_STATUSES: readonly OrderStatus[] = ['PENDING', 'ON_HOLD', 'CONFIRMED', 'FULFILLING', 'PACKED'];

export const CancelOrderBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).meta({ id: 'CancelOrderBody' });

export interface CancellationRequest {
  code: Extract<CancellationReason, 'CUSTOMER_REQUESTED' | 'OPS_REQUESTED'>;
  /** The requester's own words, if any. */
  reason?: string;
  requestedAt: string;
  /** The API key that asked. */
  by?: string;
}

/** What a cancellation request came to: the first request, a repeat of one in progress, or too late. */
export type CancellationOutcome =
  | { outcome: 'requested' | 'already-requested'; order: StoredOrder }
  | { outcome: 'not-cancellable'; order: StoredOrder };

/** Statuses an order rests in or ends in; any other status is a stage the workflow passes through. */
export const FINAL_STATUSES: readonly OrderStatus[] = ['DELIVERED', 'REJECTED', 'CANCELLED'];

export const OrderLine = z.object({ sku: Sku, name: z.string(), quantity: z.number().int(), unitPrice: Money, lineTotal: Money });
export type OrderLine = z.infer<typeof OrderLine>;

export const TimelineEntry = z.object({ at: z.iso.datetime(), status: OrderStatus, note: z.string().optional() });

export const Order = z
  .object({
    orderId: z.string(),
    status: OrderStatus,
    statusReason: z.union([RejectionReason, CancellationReason]).optional(),
    customer: PlaceOrderBody.shape.customer,
    items: z.array(OrderLine),
    subtotal: Money,
    shipping: Money,
    tax: Money,
    total: Money,
    shippingOption: ShippingOption,
    shippingAddress: Address,
    shipments: z.array(z.object({ shipmentId: z.string() }).loose()),
    timeline: z.array(TimelineEntry),
    /** The order's returns, oldest first. */
    returns: z.array(ReturnSummary),
    refunded: Money,
    /** Ops only: the fraud screening's score and reasons for an order it held for review. */
    fraud: z.object({ score: z.number(), reasons: z.array(z.string()) }).optional(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Order' });
export type Order = z.infer<typeof Order>;

/** What a list of other things (inquiries) shows of each one's order. */
export const OrderSummary = z
  .object({ orderId: z.string(), status: OrderStatus, total: Money, createdAt: z.iso.datetime() })
  .meta({ id: 'OrderSummary' });
export type OrderSummary = z.infer<typeof OrderSummary>;

export const OrderAccepted = z
  .object({ orderId: z.string(), status: z.literal('PENDING'), total: Money, links: z.object({ self: z.string() }) })
  .meta({ id: 'OrderAccepted' });

/** An order as stored: the API's Order plus what only Conveyor sees. */
export interface StoredOrder extends Omit<Order, 'fraud'>, ReturnsOnOrder {
  storefrontId: string;
  /** The storefront's payment token, until the gateway authorized it: then only `authorization` is kept. */
  paymentToken?: string;
  /** The gateway's authorization, written when the token is forgotten (a retried Authorize returns it). */
  authorization?: RecordedAuthorization;
  billingAddress?: Address;
  reviewToken?: string;
  /** Each line's barcode at the time of the order, for the warehouse's pick task. */
  barcodes: Record<string, string>;
  pickTaskToken?: string;
  deliveryToken?: string;
  /** Written by POST /orders/{id}/cancel, once: the workflow leaves for its cancellation path at its next step. */
  cancellation?: CancellationRequest;
  /** The payment's capture, once it happened (written by CapturePayment). */
  capture?: RecordedCapture;
  /** Every refund of the payment by refund id, with when Conveyor first recorded it. */
  refunds?: Record<string, RecordedRefund>;
  /** Written by the workflow's ShipStock, in the transaction that ships the units: from then on the order cannot be cancelled. */
  stockShipped?: boolean;
  /** Written by the workflow when the screening holds the order (reasons as a string set). */
  fraud?: { score: number; reasons: Set<string> | string[] };
}

export interface RecordedAuthorization {
  authorizationId: string;
  amount: Money;
  at: string;
}

export interface RecordedCapture {
  captureId: string;
  amount: Money;
  at: string;
}

export interface RecordedRefund {
  amount: Money;
  at: string;
}

/** What an Idempotency-Key was first used for: the request's hash, its order and the response to replay. */
export interface IdempotencyRecord {
  requestHash: string;
  orderId: string;
  response: unknown;
}

export interface OrderPage {
  items: StoredOrder[];
  nextCursor: string | null;
}

/** GET /ops/orders lists the orders of these days before `to` when neither storefrontId, status nor from is given. */
export const OPS_ORDERS_DEFAULT_DAYS = 30;
/** The longest range GET /ops/orders walks day by day (without storefrontId or status). */
export const OPS_ORDERS_MAX_DAYS = 366;

/** A point in time as GET /ops/orders takes it: an ISO 8601 date-time with Z or an offset, or a day (YYYY-MM-DD, UTC). */
export const Instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .refine((value) => !Number.isNaN(Date.parse(value)), 'is not a date');

/**
 * An instant as a UTC ISO string (what `createdAt` holds, so strings compare as times). A day is its first
 * millisecond as a lower bound and its last as an upper bound: `to=2026-05-01` includes all of that day.
 */
export function instantBound(value: string, bound: 'from' | 'to'): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T${bound === 'from' ? '00:00:00.000' : '23:59:59.999'}Z`;
  return new Date(value).toISOString();
}

/** What ops filter orders by: each optional; `from` and `to` bound `createdAt` (UTC ISO strings, both included). */
export interface OrderSearchFilter {
  status?: OrderStatus;
  storefrontId?: string;
  customerId?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** Orders across storefronts for ops (GET /ops/orders), never by scanning the table. */
export interface OrderSearch {
  /** A page of the orders the filter selects, newest first; a page may hold fewer than `limit` and still have a next one. */
  search(filter: OrderSearchFilter, now?: Date): Promise<OrderPage>;
}

/** The orders port. */
export interface OrderRepository {
  /** Catalog data for pricing, in one round trip. */
  products(skus: readonly string[]): Promise<Map<string, CatalogEntry>>;
  /**
   * Writes the order and its idempotency record atomically. Returns the earlier request's record when
   * the key was used before (even concurrently); undefined when this order was placed.
   */
  place(order: StoredOrder, idempotency: { key: string; requestHash: string; response: unknown }): Promise<IdempotencyRecord | undefined>;
  get(orderId: string, consistent?: boolean): Promise<StoredOrder | undefined>;
  /** The summaries of these orders in one batch read, by order id; an order that does not exist is left out. */
  summaries(orderIds: readonly string[]): Promise<Map<string, OrderSummary>>;
  /** A storefront's orders, newest first, optionally for one customer and/or in one status. */
  list(storefrontId: string, filter: { customerId?: string; status?: OrderStatus; limit: number; cursor?: string }): Promise<OrderPage>;
  /** The customer's earlier orders at this storefront: how many, and their average total (minor units). */
  customerHistory(storefrontId: string, customerId: string, excludeOrderId: string): Promise<{ count: number; averageAmount?: number }>;
  /** Orders in `status` last updated before `updatedBefore` (ISO time), oldest first; at most `limit`. */
  inStatusSince(status: OrderStatus, updatedBefore: string, limit: number): Promise<StoredOrder[]>;
  /**
   * Copies the order's refunds from the gateway's records (they are the truth about money): each refund once,
   * by its id, with the time it was first recorded (the finance ledger's REFUND lines come from these), and the
   * refunded total, which is never lowered, so a late copy of an older list changes nothing.
   */
  recordRefunds(orderId: string, refunds: readonly Refund[]): Promise<void>;
  /**
   * Records the gateway's authorization (the first one stands) and removes the payment token in the same write:
   * no card token is kept on an order once it has done its work.
   */
  recordAuthorization(orderId: string, authorization: RecordedAuthorization): Promise<RecordedAuthorization>;
  /** Records the capture (once): from then on the order was paid (the finance ledger's SALE lines come from it). */
  recordCapture(orderId: string, capture: RecordedCapture): Promise<void>;
  /**
   * Records a cancellation request on the order, once, and only while its units have not shipped: the
   * condition makes a cancel racing the shipment, a review or another cancel come out one way. A timeline
   * entry notes the request.
   */
  requestCancellation(order: StoredOrder, request: CancellationRequest): Promise<CancellationOutcome>;
  /** Counts an order towards its fraud velocity windows. */
  countVelocity(windows: readonly VelocityWindow[]): Promise<void>;
  /** How many orders each window has counted so far, in the order given. */
  velocity(windows: readonly VelocityWindow[]): Promise<number[]>;
}

/** For the workflow's steps: an order with a cancellation request goes no further (the workflow catches OrderCancelled). */
export function refuseIfCancelled(order: StoredOrder): void {
  if (order.cancellation) throw new OrderCancelled(`Order ${order.orderId} was cancelled (${order.cancellation.code}).`);
}

/** A storefront sees only its own orders; another's is simply not found (its existence is not disclosed). */
export async function visibleOrder(
  repository: Pick<OrderRepository, 'get'>,
  orderId: string,
  principal: Principal | undefined,
): Promise<StoredOrder> {
  const order = await repository.get(orderId);
  if (!order || (principal?.scope === 'storefront' && order.storefrontId !== principal.storefrontId)) throw NotFound.of(`Order ${orderId}`);
  return order;
}
