import * as z from 'zod';
import { Sku } from './catalog.js';
import { Money } from './money.js';

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

export const OrderStatus = z
  .enum(['PENDING', 'ON_HOLD', 'CONFIRMED', 'FULFILLING', 'PACKED', 'SHIPPED', 'DELIVERED', 'REJECTED', 'CANCELLED'])
  .meta({ id: 'OrderStatus' });
export type OrderStatus = z.infer<typeof OrderStatus>;

export const RejectionReason = z.enum(['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'FRAUD_SUSPECTED']);
export type RejectionReason = z.infer<typeof RejectionReason>;

/** Order statuses in the only order they may follow; terminal alternatives rank last. */
const RANK: Record<OrderStatus, number> = {
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

/** Statuses an order may be in for it to move to `next`: status never moves backwards. */
export function statusesBefore(next: OrderStatus): OrderStatus[] {
  return OrderStatus.options.filter((status) => RANK[status] < RANK[next] && RANK[status] < RANK.REJECTED);
}

export const OrderLine = z.object({ sku: Sku, name: z.string(), quantity: z.number().int(), unitPrice: Money, lineTotal: Money });
export type OrderLine = z.infer<typeof OrderLine>;

export const TimelineEntry = z.object({ at: z.iso.datetime(), status: OrderStatus, note: z.string().optional() });

export const Order = z
  .object({
    orderId: z.string(),
    status: OrderStatus,
    statusReason: RejectionReason.optional(),
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
    returns: z.array(z.object({ returnId: z.string() }).loose()),
    refunded: Money,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Order' });
export type Order = z.infer<typeof Order>;

export const OrderAccepted = z
  .object({ orderId: z.string(), status: z.literal('PENDING'), total: Money, links: z.object({ self: z.string() }) })
  .meta({ id: 'OrderAccepted' });
