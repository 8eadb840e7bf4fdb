import { createHash } from 'node:crypto';
import type { Carrier, Shipment } from '../domain/shipping.js';
import { addBusinessDays, DELIVERY_DAYS } from '../domain/shipping.js';

const SERVICES = { standard: 'Ground', express: 'Express', overnight: 'Overnight' } as const;

/**
 * A deterministic carrier for development and tests: the label for an idempotency key is always the
 * same label (same tracking number), so a retried purchase never buys a second one.
 */
export class SandboxCarrier implements Carrier {
  async buyLabel(request: Parameters<Carrier['buyLabel']>[0]): Promise<Shipment> {
    const digest = createHash('sha256').update(request.idempotencyKey).digest();
    const trackingNumber = `CVY${(digest.readBigUInt64BE(0) % 10n ** 12n).toString().padStart(12, '0')}`;
    return {
      shipmentId: `shp_${digest.subarray(8, 18).toString('hex')}`,
      carrier: 'Conveyor Sandbox Carrier',
      service: SERVICES[request.option],
      trackingNumber,
      trackingUrl: `https://tracking.sandbox-carrier.example/${trackingNumber}`,
      estimatedDeliveryDate: addBusinessDays(request.shippedAt, DELIVERY_DAYS[request.option]).toISOString().slice(0, 10),
    };
  }
}
