import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

export const CarrierStatus = z.enum(['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION']);
export type CarrierStatus = z.infer<typeof CarrierStatus>;

/**
 * Carriers' tracking numbers are letters and digits (UPS `1Z…`, DHL and USPS digits, UPU `AB123456789GB`),
 * some printed with spaces or dashes. Nothing else is one, which also keeps control characters and
 * non-characters (that SQS refuses in a message) out of the queue.
 */
export const TrackingNumber = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9 -]{0,62}[A-Za-z0-9])?$/,
    'must be 1–64 letters, digits, spaces or dashes, starting and ending with a letter or digit',
  );

export const CarrierEvent = z
  .strictObject({
    // A carrier's own id for the event (a UUID, a number, …): visible ASCII.
    eventId: z.string().regex(/^[!-~]{1,128}$/, 'must be 1–128 visible ASCII characters'),
    trackingNumber: TrackingNumber,
    status: CarrierStatus,
    occurredAt: z.iso.datetime(),
  })
  .meta({ id: 'CarrierEvent' });
export type CarrierEvent = z.infer<typeof CarrierEvent>;

/** A shipment's progress; EXCEPTION is recorded and surfaced but never moves a shipment. */
export const SHIPMENT_RANK: Record<string, number> = { LABEL_CREATED: 0, PICKED_UP: 1, IN_TRANSIT: 2, OUT_FOR_DELIVERY: 3, DELIVERED: 4 };

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'stale' | 'mismatch';

/**
 * Verifies `X-Conveyor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * Stale (more than five minutes either way) and forged signatures are refused, so replays fail too.
 */
export function checkSignature(header: string | undefined, rawBody: string, secret: string, now = Date.now()): SignatureCheck {
  if (!header) return 'missing';
  const parts = Object.fromEntries(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return 'malformed';
  if (Math.abs(now / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return 'stale';
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(parts.v1 as string, 'hex')) ? 'valid' : 'mismatch';
}

/** What a carrier (or a test) sends: the signature header for a body. */
export function signCarrierPayload(rawBody: string, secret: string, now = Date.now()): string {
  const timestamp = Math.floor(now / 1000);
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** Where a tracking number's shipment is: its order, and its place in the order's list of shipments. */
export interface TrackedShipment {
  trackingNumber: string;
  orderId: string;
  shipmentId: string;
  shipmentIndex: number;
}

/** The shipments port: the tracking-number index and the carrier events recorded on an order's shipments. */
export interface ShipmentRepository {
  /** Indexes a bought label's tracking number, so carrier events find their order. */
  track(shipment: TrackedShipment): Promise<void>;
  find(trackingNumber: string): Promise<TrackedShipment | undefined>;
  /**
   * Records a carrier event on its shipment, once per eventId (`duplicate` when it was recorded before), and on
   * the order's timeline unless the order is past SHIPPED. Throws ShipmentNotListedYet when the order does not
   * list the shipment yet.
   */
  recordEvent(shipment: TrackedShipment, event: CarrierEvent): Promise<'recorded' | 'duplicate'>;
  /** Keeps, for a while, an event whose tracking number no label was bought for; `duplicate` when kept before. */
  recordUnmatched(event: CarrierEvent): Promise<'recorded' | 'duplicate'>;
  /** Moves the shipment's status forwards only; false when the event is older than what is recorded. */
  advance(shipment: TrackedShipment, event: CarrierEvent): Promise<boolean>;
}

/** The queue carrier events wait in between the webhook and TrackCarrier. */
export interface CarrierEventQueue {
  enqueue(event: CarrierEvent): Promise<void>;
}
