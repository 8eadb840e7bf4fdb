import { createHash } from 'node:crypto';
import { money } from '../domain/money.js';
import type { Carrier, Quote, Shipment } from '../domain/shipping.js';
import { addBusinessDays, DELIVERY_DAYS } from '../domain/shipping.js';

/** The sandbox carrier's tariff, in euro cents: a base per service and a price per started kilogram. */
const TARIFF = {
  standard: { base: 390, perKg: 80 },
  express: { base: 790, perKg: 160 },
  overnight: { base: 1590, perKg: 250 },
} as const;
/** Sending abroad costs half as much again and takes two more business days. */
const CROSS_BORDER = { factor: 1.5, extraDays: 2 };

const SERVICES = { standard: 'Ground', express: 'Express', overnight: 'Overnight' } as const;

/**
 * A postal code the sandbox carrier is slow for: buying its label takes SLOW_LABEL_MS, so an order rests
 * in PACKED long enough to watch it there, or to cancel it there (API.md §Local mode lists it).
 */
export const SLOW_LABEL_POSTAL_CODE = '99999';
export const SLOW_LABEL_MS = 3000;

/**
 * A deterministic carrier for development and tests: the label for an idempotency key is always the
 * same label (same tracking number), so a retried purchase never buys a second one.
 */
export class SandboxCarrier implements Carrier {
  constructor(private readonly shipFrom = 'DE') {}

  /** Rates from option, weight and destination, with a delivery estimate in business days. */
  async quote(request: Parameters<Carrier['quote']>[0]): Promise<Quote> {
    const tariff = TARIFF[request.option];
    const kilograms = Math.max(1, Math.ceil(request.weightGrams / 1000));
    const abroad = request.destination.country !== request.shipFrom;
    const cents = (tariff.base + (kilograms - 1) * tariff.perKg) * (abroad ? CROSS_BORDER.factor : 1);
    const days = DELIVERY_DAYS[request.option] + (abroad ? CROSS_BORDER.extraDays : 0);
    return {
      option: request.option,
      service: SERVICES[request.option],
      cost: money(Math.round(cents), 'EUR'),
      estimatedDeliveryDate: addBusinessDays(request.shippedAt, days).toISOString().slice(0, 10),
    };
  }

  async buyLabel(request: Parameters<Carrier['buyLabel']>[0]): Promise<Shipment> {
    const quote = await this.quote({ ...request, shipFrom: this.shipFrom });
    if (request.destination.postalCode === SLOW_LABEL_POSTAL_CODE) await new Promise((resolve) => setTimeout(resolve, SLOW_LABEL_MS));
    const digest = createHash('sha256').update(request.idempotencyKey).digest();
    const trackingNumber = `CVY${(digest.readBigUInt64BE(0) % 10n ** 12n).toString().padStart(12, '0')}`;
    return {
      shipmentId: `shp_${digest.subarray(8, 18).toString('hex')}`,
      carrier: 'Conveyor Sandbox Carrier',
      service: quote.service,
      trackingNumber,
      trackingUrl: `https://tracking.sandbox-carrier.example/${trackingNumber}`,
      estimatedDeliveryDate: quote.estimatedDeliveryDate,
      cost: quote.cost,
    };
  }
}
