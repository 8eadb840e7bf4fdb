import type { Money } from './money.js';
import type { Address, ShippingOption } from './orders.js';

/** A parcel on its way: what the carrier's label purchase gives back. */
export interface Shipment {
  shipmentId: string;
  carrier: string;
  service: string;
  trackingNumber: string;
  trackingUrl: string;
  estimatedDeliveryDate: string;
  /** What the label cost Conveyor (the customer paid the shop's shipping price, set by pricing). */
  cost: Money;
}

export interface Quote {
  option: ShippingOption;
  service: string;
  cost: Money;
  estimatedDeliveryDate: string;
}

/** The port every carrier adapter implements; buying a label twice with one key buys it once. */
export interface Carrier {
  quote(request: { option: ShippingOption; weightGrams: number; destination: Address; shipFrom: string; shippedAt: Date }): Promise<Quote>;
  buyLabel(request: {
    orderId: string;
    option: ShippingOption;
    weightGrams: number;
    destination: Address;
    shippedAt: Date;
    idempotencyKey: string;
  }): Promise<Shipment>;
}

/** Business days from ship date to delivery, by option (the sandbox carrier's promise). */
export const DELIVERY_DAYS: Record<ShippingOption, number> = { standard: 3, express: 2, overnight: 1 };

/** Business days between an order and the parcel's handover to the carrier (pick, pack, label). */
export const HANDLING_DAYS = 1;

/**
 * The delivery date a quote promises (YYYY-MM-DD, UTC): HANDLING_DAYS, then the option's DELIVERY_DAYS, counted in
 * business days (Monday to Friday) from the day of the quote. The label's carrier gives the shipment its own estimate.
 */
export function promisedDeliveryDate(option: ShippingOption, quotedAt: Date): string {
  return addBusinessDays(quotedAt, HANDLING_DAYS + DELIVERY_DAYS[option])
    .toISOString()
    .slice(0, 10);
}

/** Adds business days (Monday to Friday) to a date. */
export function addBusinessDays(from: Date, days: number): Date {
  const date = new Date(from);
  let left = days;
  while (left > 0) {
    date.setUTCDate(date.getUTCDate() + 1);
    const weekday = date.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return date;
}
