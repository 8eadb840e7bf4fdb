import { CarrierRefused, TransientFailure } from '../domain/errors.js';
import { type Money, money } from '../domain/money.js';
import type { Address, ShippingOption } from '../domain/orders.js';
import type { Carrier, Quote, Shipment } from '../domain/shipping.js';
import { addBusinessDays, DELIVERY_DAYS } from '../domain/shipping.js';

/**
 * EasyPost (https://docs.easypost.com), as documented in its API reference and the official examples
 * (github.com/EasyPost/examples, official/docs/responses/shipments/shipments-buy.json):
 * - `POST /v2/shipments` `{ shipment: { to_address, from_address, parcel, reference } }` → a Shipment with `rates`
 *   (`{ id, carrier, service, rate: "7.47", currency, delivery_days, delivery_date }`); creating one costs nothing.
 * - `POST /v2/shipments/{id}/buy` `{ rate: { id } }` → the Shipment with `selected_rate`, `tracking_code`,
 *   `postage_label` and `tracker.public_url`. Buying is what costs money.
 * - `GET /v2/shipments/{id}` → the Shipment as it is now.
 * - HTTP Basic auth, the API key as the user name and no password; errors are `{ error: { code, message } }`.
 */

/** An EasyPost carrier and one of its service names, as EasyPost spells them in a rate. */
export interface EasyPostService {
  carrier: string;
  service: string;
}

/**
 * Conveyor's shipping options as EasyPost services. The default is USPS (available to every EasyPost account
 * through its wallet): Ground Advantage for standard, Priority Mail for express, Priority Mail Express for overnight.
 * A shop with other carrier accounts passes its own mapping.
 */
export const DEFAULT_EASYPOST_SERVICES: Record<ShippingOption, EasyPostService> = {
  standard: { carrier: 'USPS', service: 'GroundAdvantage' },
  express: { carrier: 'USPS', service: 'Priority' },
  overnight: { carrier: 'USPS', service: 'Express' },
};

/**
 * Which EasyPost shipment a label purchase made for an idempotency key. EasyPost has no idempotency keys, so the
 * adapter writes the shipment's id here before buying: a retry finds the shipment and buys it at most once.
 */
export interface LabelPurchaseRecords {
  find(idempotencyKey: string): Promise<string | undefined>;
  /** Keeps the first shipment id for the key; returns the one kept (another attempt's, when it came first). */
  remember(idempotencyKey: string, shipmentId: string): Promise<string>;
}

export interface EasyPostOptions {
  apiKey: string;
  /** The shop's address: an EasyPost address id (`adr_…`, created once) or an address object. */
  fromAddress: { id: string } | Record<string, string>;
  records: LabelPurchaseRecords;
  /** https://api.easypost.com in production; a local fake in tests. */
  baseUrl?: string;
  /** Per request; shorter than the function's timeout, so a hung call fails the attempt, not the function. */
  timeoutMs?: number;
  services?: Record<ShippingOption, EasyPostService>;
}

interface EasyPostRate {
  id: string;
  carrier: string;
  service: string;
  rate: string;
  currency: string;
  delivery_days?: number | null;
  delivery_date?: string | null;
}

interface EasyPostShipment {
  id: string;
  reference?: string | null;
  rates: EasyPostRate[];
  selected_rate?: EasyPostRate | null;
  tracking_code?: string | null;
  tracker?: { public_url?: string | null; est_delivery_date?: string | null } | null;
}

const GRAMS_PER_OUNCE = 28.349523125;

/** "7.47" (EasyPost's decimal string) → 747 minor units; never through a float. */
export function minorUnits(decimal: string, currency: string): Money {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(decimal.trim());
  if (!match) throw new CarrierRefused(`EasyPost quoted "${decimal}", which is not an amount.`);
  const cents = `${match[2] ?? ''}00`.slice(0, 2);
  const rest = (match[2] ?? '').slice(2);
  const amount = Number(match[1]) * 100 + Number(cents) + (/[1-9]/.test(rest) ? 1 : 0); // a fraction of a cent rounds up
  return money(amount, currency.toUpperCase());
}

export class EasyPostCarrier implements Carrier {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly services: Record<ShippingOption, EasyPostService>;
  private readonly authorization: string;

  constructor(private readonly options: EasyPostOptions) {
    this.baseUrl = options.baseUrl ?? 'https://api.easypost.com';
    this.timeoutMs = options.timeoutMs ?? 4_000;
    this.services = options.services ?? DEFAULT_EASYPOST_SERVICES;
    this.authorization = `Basic ${Buffer.from(`${options.apiKey}:`).toString('base64')}`;
  }

  /** A timeout, a 5xx or an answer that is not JSON is transient (the workflow retries); a 4xx is a refusal. */
  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: this.authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      throw new TransientFailure(`EasyPost did not answer ${method} ${path}: ${(cause as Error).message}`, { cause });
    }
    if (response.status >= 500) throw new TransientFailure(`EasyPost answered ${response.status} to ${method} ${path}.`);
    let parsed: T & { error?: { code?: string; message?: string } };
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      // A proxy's HTML page or a cut-off answer: the outcome is unknown, so the step is retried.
      throw new TransientFailure(`EasyPost answered ${method} ${path} with something that is not JSON (${response.status}).`, { cause });
    }
    if (response.status === 429) throw new TransientFailure(`EasyPost is rate-limiting ${method} ${path}.`);
    if (!response.ok) {
      const reason = parsed.error ? `${parsed.error.code ?? 'error'}: ${parsed.error.message ?? ''}` : 'no message';
      throw new CarrierRefused(`EasyPost refused ${method} ${path} (${response.status}) — ${reason}`);
    }
    return parsed;
  }

  private createShipment(request: { destination: Address; weightGrams: number; reference?: string }): Promise<EasyPostShipment> {
    const to = request.destination;
    return this.call<EasyPostShipment>('POST', '/v2/shipments', {
      shipment: {
        to_address: {
          name: to.name,
          street1: to.line1,
          street2: to.line2,
          city: to.city,
          zip: to.postalCode,
          country: to.country,
          phone: to.phone,
        },
        from_address: this.options.fromAddress,
        // EasyPost weighs in ounces.
        parcel: { weight: Math.max(0.1, Math.round((request.weightGrams / GRAMS_PER_OUNCE) * 10) / 10) },
        ...(request.reference ? { reference: request.reference } : {}),
      },
    });
  }

  /** The cheapest rate of the option's service; CarrierRefused when EasyPost offers none for it. */
  private cheapestRate(shipment: EasyPostShipment, option: ShippingOption): EasyPostRate {
    const wanted = this.services[option];
    const matching = shipment.rates.filter(
      (rate) => rate.carrier.toLowerCase() === wanted.carrier.toLowerCase() && rate.service.toLowerCase() === wanted.service.toLowerCase(),
    );
    const cheapest = matching.sort((a, b) => Number(a.rate) - Number(b.rate))[0];
    if (!cheapest)
      throw new CarrierRefused(
        `EasyPost offers no ${wanted.carrier} ${wanted.service} rate for shipment ${shipment.id} (the ${option} option); ` +
          `offered: ${shipment.rates.map((rate) => `${rate.carrier} ${rate.service}`).join(', ') || 'nothing'}.`,
      );
    return cheapest;
  }

  private estimatedDelivery(rate: EasyPostRate, option: ShippingOption, shippedAt: Date): string {
    if (rate.delivery_date) return rate.delivery_date.slice(0, 10);
    return addBusinessDays(shippedAt, rate.delivery_days ?? DELIVERY_DAYS[option])
      .toISOString()
      .slice(0, 10);
  }

  async quote(request: Parameters<Carrier['quote']>[0]): Promise<Quote> {
    const shipment = await this.createShipment(request);
    const rate = this.cheapestRate(shipment, request.option);
    return {
      option: request.option,
      service: `${rate.carrier} ${rate.service}`,
      cost: minorUnits(rate.rate, rate.currency),
      estimatedDeliveryDate: this.estimatedDelivery(rate, request.option, request.shippedAt),
    };
  }

  /**
   * Idempotent per key although EasyPost is not: the shipment's id is recorded before it is bought, so a retry
   * (after a timeout, a crash, a lost answer) reads that shipment and buys it only if it is not bought yet. A
   * shipment is bought once at most — EasyPost refuses a second purchase of one shipment.
   */
  async buyLabel(request: Parameters<Carrier['buyLabel']>[0]): Promise<Shipment> {
    const known = await this.options.records.find(request.idempotencyKey);
    let shipment: EasyPostShipment;
    if (known) shipment = await this.call<EasyPostShipment>('GET', `/v2/shipments/${encodeURIComponent(known)}`);
    else {
      const created = await this.createShipment({ ...request, reference: request.idempotencyKey });
      const kept = await this.options.records.remember(request.idempotencyKey, created.id);
      // Another attempt recorded its shipment first: continue with that one (ours is never bought, so it costs nothing).
      shipment = kept === created.id ? created : await this.call<EasyPostShipment>('GET', `/v2/shipments/${encodeURIComponent(kept)}`);
    }
    if (!shipment.selected_rate || !shipment.tracking_code) {
      const rate = this.cheapestRate(shipment, request.option);
      shipment = await this.call<EasyPostShipment>('POST', `/v2/shipments/${encodeURIComponent(shipment.id)}/buy`, {
        rate: { id: rate.id },
      });
    }
    return this.shipmentOf(shipment, request);
  }

  private shipmentOf(shipment: EasyPostShipment, request: { option: ShippingOption; shippedAt: Date }): Shipment {
    const rate = shipment.selected_rate;
    const trackingUrl = shipment.tracker?.public_url;
    // EasyPost makes the Tracker when it sells the label; should one be missing, the retry reads the shipment again.
    if (!rate || !shipment.tracking_code || !trackingUrl)
      throw new TransientFailure(`EasyPost shipment ${shipment.id} was bought but has no tracking code or tracker yet.`);
    return {
      shipmentId: shipment.id,
      carrier: rate.carrier,
      service: rate.service,
      trackingNumber: shipment.tracking_code,
      trackingUrl,
      estimatedDeliveryDate:
        shipment.tracker?.est_delivery_date?.slice(0, 10) ?? this.estimatedDelivery(rate, request.option, request.shippedAt),
      cost: minorUnits(rate.rate, rate.currency),
    };
  }
}
