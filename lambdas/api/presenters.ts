import type { Principal } from '../domain/auth.js';
import type { Inquiry, StoredInquiry } from '../domain/inquiries.js';
import type { Order, OrderSummary, StoredOrder } from '../domain/orders.js';
import { returnSummary } from '../domain/returns.js';

type StoredShipment = Order['shipments'][number] & {
  events?: { status: string; occurredAt: string }[];
  eventIds?: unknown;
  rank?: number;
  labelCost?: unknown;
};

/**
 * An order as the API shows it: without the payment token, tokens or index keys. Ops also see why the
 * fraud screening held it; a storefront does not (the signals would teach a fraudster what to avoid).
 */
export function toApiOrder(order: StoredOrder, principal?: Principal): Order {
  return {
    orderId: order.orderId,
    status: order.status,
    ...(order.statusReason ? { statusReason: order.statusReason } : {}),
    customer: order.customer,
    items: order.items,
    subtotal: order.subtotal,
    shipping: order.shipping,
    tax: order.tax,
    total: order.total,
    shippingOption: order.shippingOption,
    shippingAddress: order.shippingAddress,
    shipments: (order.shipments ?? []).map(toApiShipment),
    timeline: order.timeline,
    returns: returnsOf(order),
    refunded: order.refunded,
    ...(order.fraud && principal?.scope === 'ops' ? { fraud: { score: order.fraud.score, reasons: [...order.fraud.reasons].sort() } } : {}),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

/** A shipment as the API shows it: carrier events in the order they happened, whatever order they arrived in. */
function toApiShipment(shipment: StoredShipment): Order['shipments'][number] {
  // What the label cost the shop is not the customer's business.
  const { eventIds: _ids, rank: _rank, labelCost: _cost, events = [], ...rest } = shipment;
  return { ...rest, events: [...events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)) };
}

/** An inquiry as ops see it, with its order's summary when the route read it. */
export function toApiInquiry(inquiry: StoredInquiry, order?: OrderSummary): Inquiry {
  return { ...inquiry, ...(order ? { order } : {}) };
}

/** The order's returns, oldest first, from the summaries it keeps by return id (orders before returns have none). */
function returnsOf(order: StoredOrder): Order['returns'] {
  return Object.values(order.returnsById ?? {})
    .map(returnSummary)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.returnId.localeCompare(b.returnId));
}
