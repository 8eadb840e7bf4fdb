import { DynamoOrderRepository, type StoredOrder } from '../adapters/order-repository.js';
import type { Principal } from '../domain/auth.js';
import { NotFoundError } from '../domain/errors.js';
import type { Order } from '../domain/orders.js';
import { requireEnv } from './config.js';

export const orders = new DynamoOrderRepository(requireEnv('TABLE_NAME'));

/** An order as the API shows it: without the payment token, review token or index keys. */
export function toApiOrder(order: StoredOrder): Order {
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
    returns: order.returns ?? [],
    refunded: order.refunded,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

type StoredShipment = Order['shipments'][number] & {
  events?: { status: string; occurredAt: string }[];
  eventIds?: unknown;
  rank?: number;
  labelCost?: unknown;
};

/** A shipment as the API shows it: carrier events in the order they happened, whatever order they arrived in. */
function toApiShipment(shipment: StoredShipment): Order['shipments'][number] {
  // What the label cost the shop is not the customer's business.
  const { eventIds: _ids, rank: _rank, labelCost: _cost, events = [], ...rest } = shipment;
  return { ...rest, events: [...events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)) };
}

/** Loads an order the principal may see: a storefront sees only its own, and another's is simply not found. */
export async function visibleOrder(orderId: string, principal: Principal | undefined): Promise<StoredOrder> {
  const order = await orders.get(orderId);
  if (!order || (principal?.scope === 'storefront' && order.storefrontId !== principal.storefrontId))
    throw new NotFoundError(`Order ${orderId}`);
  return order;
}
