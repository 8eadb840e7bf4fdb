import * as z from 'zod';
import { type Money, Money as MoneySchema, money } from './money.js';
import { OrderStatus, ShippingOption } from './orders.js';

/**
 * Customer profiles (CRM), projected from the orders on the table's stream. Each order contributes one item to
 * its customer's profile, holding what the profile needs from that order; the profile is the aggregation of a
 * customer's contributions, computed when it is read. Customers are identified by the id their storefront sends
 * (`customer.id`), one id space per Conveyor deployment: orders from any storefront with the same id make one
 * profile. See docs/architecture.md, "Customer profiles".
 */

/** A customer id as storefronts send it (`customer.id` of POST /orders: trimmed, 1–128 characters). */
export const CustomerId = z
  .string()
  .min(1)
  .max(128)
  .refine((id) => id.trim() === id, 'must not start or end with white space');

/** What the projection reads from an order's image on the stream (validated: a malformed image is an error). */
export const ProfileOrderImage = z.object({
  orderId: z.string().min(1),
  storefrontId: z.string().min(1),
  status: OrderStatus,
  customer: z.object({ id: z.string().min(1), email: z.string(), name: z.string() }),
  total: MoneySchema,
  refunded: MoneySchema.optional(),
  capture: z.object({ amount: MoneySchema }).loose().optional(),
  returned: z.record(z.string(), z.number().int().min(0)).optional(),
  returnsById: z.record(z.string(), z.unknown()).optional(),
  shippingOption: ShippingOption,
  createdAt: z.iso.datetime(),
});
export type ProfileOrderImage = z.infer<typeof ProfileOrderImage>;

/** One order's part of its customer's profile, as the projection stores it. */
export interface OrderContribution {
  customerId: string;
  orderId: string;
  storefrontId: string;
  email: string;
  name: string;
  status: OrderStatus;
  total: Money;
  /** What was captured; absent while the order was never paid. */
  paid?: Money;
  refunded: Money;
  /** How many returns (RMAs) the order has, and how many units they take back. */
  returns: number;
  returnedUnits: number;
  shippingOption: ShippingOption;
  createdAt: string;
  /** Orders the contributions of one order: one replaces a stored one only when its version is greater. */
  version: string;
}

/**
 * How far an order has come, as far as its profile can tell: every field a contribution takes from the order that
 * can change after placement only ever grows (status never moves backwards — REJECTED and CANCELLED are exclusive
 * ends —, a capture is recorded once, `refunded` is never lowered, returns and returned units are only added).
 * So an order's images form a chain in these fields, and equal progress means an equal contribution.
 */
const STATUS_RANK: Record<OrderStatus, number> = {
  PENDING: 0,
  ON_HOLD: 1,
  CONFIRMED: 2,
  FULFILLING: 3,
  PACKED: 4,
  SHIPPED: 5,
  DELIVERED: 6,
  REJECTED: 7,
  CANCELLED: 7,
};

const digits = (value: number, width: number) => String(value).padStart(width, '0');

/** Stream sequence numbers are decimal strings of up to 40 digits; padded, they compare as strings in numeric order. */
const SEQUENCE_WIDTH = 40;

/**
 * A contribution's version: the order's progress in fixed-width digits, then the stream record's sequence number.
 * Versions compare as strings. The progress comes first so that the order holds wherever the record came from
 * (the same stream, a replay, another stream after a restore, whose sequence numbers are unrelated); the sequence
 * number only orders records of equal progress, whose contributions are equal anyway.
 */
export function contributionVersion(
  contribution: Pick<OrderContribution, 'status' | 'paid' | 'refunded' | 'returns' | 'returnedUnits'>,
  sequenceNumber: string,
): string {
  if (!/^\d{1,40}$/.test(sequenceNumber)) throw new RangeError(`A stream sequence number is 1–40 digits, got ${sequenceNumber}`);
  const progress = [
    digits(STATUS_RANK[contribution.status], 2),
    contribution.paid ? '1' : '0',
    digits(contribution.refunded.amount, 16),
    digits(contribution.returns, 6),
    digits(contribution.returnedUnits, 9),
  ].join('.');
  return `v1:${progress}#${sequenceNumber.padStart(SEQUENCE_WIDTH, '0')}`;
}

/** What an order's image contributes to its customer's profile, versioned by the stream record that carried it. */
export function orderContribution(image: ProfileOrderImage, sequenceNumber: string): OrderContribution {
  const fields = {
    customerId: image.customer.id,
    orderId: image.orderId,
    storefrontId: image.storefrontId,
    email: image.customer.email,
    name: image.customer.name,
    status: image.status,
    total: image.total,
    ...(image.capture ? { paid: image.capture.amount } : {}),
    refunded: image.refunded ?? money(0, image.total.currency),
    returns: Object.keys(image.returnsById ?? {}).length,
    returnedUnits: Object.values(image.returned ?? {}).reduce((sum, units) => sum + units, 0),
    shippingOption: image.shippingOption,
    createdAt: image.createdAt,
  };
  return { ...fields, version: contributionVersion(fields, sequenceNumber) };
}

/** Whether `incoming` may replace `stored` (the rule the repository's conditional write applies). */
export const supersedes = (incoming: OrderContribution, stored: OrderContribution | undefined) =>
  stored === undefined || incoming.version > stored.version;

/**
 * What an order is worth to the customer's lifetime value: what was captured minus what was refunded; nothing
 * for an order that was never paid or was REJECTED (a capture a rejection found is refunded by VoidPayment).
 */
export function orderValue(contribution: OrderContribution): Money {
  if (!contribution.paid || contribution.status === 'REJECTED') return money(0, contribution.total.currency);
  return money(Math.max(0, contribution.paid.amount - contribution.refunded.amount), contribution.paid.currency);
}

export const CustomerProfile = z
  .object({
    customerId: z.string(),
    /** The email of the latest order. */
    email: z.string(),
    /** The name of the latest order. */
    name: z.string(),
    /** Every email the customer's orders carried, the latest first. */
    emails: z.array(z.string()),
    /** How many orders the customer placed (any status), and how many of them were paid. */
    orders: z.number().int(),
    paidOrders: z.number().int(),
    /** The lifetime value in the latest order's currency (see lifetimeValues for every currency). */
    lifetimeValue: MoneySchema,
    /** Per currency the customer ordered in (sorted by code): paid orders' captures minus their refunds. */
    lifetimeValues: z.array(MoneySchema),
    /** How many returns (RMAs) the customer's orders have, and the units they take back. */
    returns: z.number().int(),
    returnedUnits: z.number().int(),
    lastOrderAt: z.iso.datetime(),
    firstOrderAt: z.iso.datetime(),
    /** The shipping option the customer chose most often (of equally frequent ones, the latest chosen). */
    preferredShippingOption: ShippingOption,
    /** The storefronts the customer ordered from, sorted. */
    storefronts: z.array(z.string()),
  })
  .meta({ id: 'CustomerProfile' });
export type CustomerProfile = z.infer<typeof CustomerProfile>;

/** Latest first: by creation time, then by order id (two orders in one millisecond still have one order). */
const latestFirst = (a: OrderContribution, b: OrderContribution) =>
  b.createdAt.localeCompare(a.createdAt) || b.orderId.localeCompare(a.orderId);

/**
 * A customer's profile from their orders' contributions (one per order; undefined when there are none). Pure and
 * independent of the contributions' order.
 */
export function customerProfile(customerId: string, contributions: readonly OrderContribution[]): CustomerProfile | undefined {
  const orders = [...contributions].sort(latestFirst);
  const [latest] = orders;
  const earliest = orders.at(-1);
  if (!latest || !earliest) return undefined;

  const values = new Map<string, number>();
  const shippingUses = new Map<ShippingOption, number>();
  for (const order of orders) {
    const value = orderValue(order);
    values.set(value.currency, (values.get(value.currency) ?? 0) + value.amount);
    shippingUses.set(order.shippingOption, (shippingUses.get(order.shippingOption) ?? 0) + 1);
  }
  const mostUses = Math.max(...shippingUses.values());
  // Orders are latest first, so the first option with the most uses is the latest chosen of those.
  const preferred = orders.find((order) => shippingUses.get(order.shippingOption) === mostUses) ?? latest;
  const currency = latest.total.currency;

  return {
    customerId,
    email: latest.email,
    name: latest.name,
    emails: [...new Set(orders.map((order) => order.email))],
    orders: orders.length,
    paidOrders: orders.filter((order) => order.paid && order.status !== 'REJECTED').length,
    lifetimeValue: money(values.get(currency) ?? 0, currency),
    lifetimeValues: [...values.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([code, amount]) => money(amount, code)),
    returns: orders.reduce((sum, order) => sum + order.returns, 0),
    returnedUnits: orders.reduce((sum, order) => sum + order.returnedUnits, 0),
    lastOrderAt: latest.createdAt,
    firstOrderAt: earliest.createdAt,
    preferredShippingOption: preferred.shippingOption,
    storefronts: [...new Set(orders.map((order) => order.storefrontId))].sort(),
  };
}

/** The profiles port: one contribution per order under its customer. */
export interface CustomerProfileRepository {
  /**
   * Stores the contribution unless the stored one of the same order has an equal or greater version (one
   * conditional write). True when it was written, false when it changed nothing.
   */
  contribute(contribution: OrderContribution): Promise<boolean>;
  /** Every contribution of the customer's orders (none for a customer Conveyor has no order of). */
  contributions(customerId: string): Promise<OrderContribution[]>;
}
