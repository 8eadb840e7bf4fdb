import { describe, expect, it } from 'vitest';
import { signEasyPostPayload } from '../../lambdas/adapters/easypost-events.js';
import { trackerUpdated } from '../fixtures/easypost-fake.js';
import { api, cloud } from './client.js';
import { shippedOrder, untilOrder } from './lifecycle.js';

let events = 0;
/** A tracker.updated Event for a tracking number, as EasyPost posts it, with its own event id. */
function easyPostEvent(trackingNumber: string, status: string, at: string) {
  const event = trackerUpdated(status, {
    tracking_code: trackingNumber,
    updated_at: at,
    tracking_details: [{ object: 'TrackingDetail', status, message: status, datetime: at }],
  });
  return { ...event, id: `evt_${process.pid}${Date.now().toString(36)}${++events}` };
}

function postEasyPostEvent(event: object, signature?: string) {
  const raw = JSON.stringify(event);
  return api<{ eventId?: string; queued?: boolean; error?: { code: string } }>('POST', '/carrier/easypost/events', {
    rawBody: raw,
    headers: { 'content-type': 'application/json', 'x-hmac-signature': signature ?? signEasyPostPayload(raw, cloud.carrierSecret) },
  });
}

describe('EasyPost tracking webhooks (POST /carrier/easypost/events)', () => {
  it('moves a shipped order to DELIVERED through signed EasyPost events, whichever carrier bought the label', async () => {
    // Arrange: an order shipped with the local cloud's (sandbox) carrier.
    const { orderId, trackingNumber } = await shippedOrder();

    // Act
    const preTransit = await postEasyPostEvent(easyPostEvent(trackingNumber, 'pre_transit', '2026-11-27T08:00:00Z'));
    const inTransit = await postEasyPostEvent(easyPostEvent(trackingNumber, 'in_transit', '2026-11-27T09:00:00Z'));
    const delivered = await postEasyPostEvent(easyPostEvent(trackingNumber, 'delivered', '2026-11-28T14:30:00Z'));

    // Assert
    expect(preTransit).toMatchObject({ status: 202, body: { queued: false } });
    expect(inTransit).toMatchObject({ status: 202, body: { queued: true } });
    expect(delivered).toMatchObject({ status: 202, body: { queued: true } });
    // Each event is its own queue message, so the two may be recorded in either order: wait for both.
    const order = await untilOrder(orderId, (candidate) => candidate.status === 'DELIVERED' && candidate.shipments[0]?.events.length === 2);
    expect(order.status).toBe('DELIVERED');
    expect(order.shipments[0]?.events.map((event) => [event.status, event.occurredAt])).toEqual([
      ['IN_TRANSIT', '2026-11-27T09:00:00.000Z'],
      ['DELIVERED', '2026-11-28T14:30:00.000Z'],
    ]);
  });

  it('refuses a forged or unsigned event with 401 and the envelope, and queues nothing', async () => {
    // Arrange
    const { orderId, trackingNumber } = await shippedOrder();
    const event = easyPostEvent(trackingNumber, 'delivered', '2026-11-28T14:30:00Z');

    // Act
    const forged = await postEasyPostEvent(event, signEasyPostPayload(JSON.stringify(event), 'not-the-secret'));
    const unsigned = await api<{ error?: { code: string } }>('POST', '/carrier/easypost/events', {
      rawBody: JSON.stringify(event),
      headers: { 'content-type': 'application/json' },
    });

    // Assert
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('UNAUTHENTICATED');
    expect(unsigned.status).toBe(401);
    const order = await untilOrder(orderId, () => false, 20);
    expect(order.status).toBe('SHIPPED');
    expect(order.shipments[0]?.events).toEqual([]);
  });

  it('acknowledges events it does not track (202, nothing queued) and refuses malformed ones with 422', async () => {
    const batch = { id: 'evt_batch1', object: 'Event', description: 'batch.updated', result: { object: 'Batch' } };
    const malformed = { object: 'Event', description: 'tracker.updated', result: {} };

    expect(await postEasyPostEvent(batch)).toMatchObject({ status: 202, body: { eventId: 'evt_batch1', queued: false } });
    const refused = await postEasyPostEvent(malformed);
    expect(refused.status).toBe(422);
    expect(refused.body.error?.code).toBe('VALIDATION_FAILED');
  });
});
