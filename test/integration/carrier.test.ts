import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { signCarrierPayload } from '../../lambdas/domain/tracking.js';
import { cloud } from './client.js';
import { postCarrierEvent, shippedOrder, untilOrder } from './lifecycle.js';

const STATUSES = ['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED'] as const;
let events = 0;
const carrierEvent = (trackingNumber: string, status: string, minutes: number) => ({
  eventId: `evt-${process.pid}-${Date.now().toString(36)}-${++events}`,
  trackingNumber,
  status,
  occurredAt: new Date(Date.UTC(2026, 10, 27, 8, minutes)).toISOString(),
});

describe('carrier events', () => {
  it('moves a shipped order to DELIVERED through signed events, and emails the customer', async () => {
    const { orderId, trackingNumber } = await shippedOrder();

    for (const [i, status] of STATUSES.entries())
      expect((await postCarrierEvent(carrierEvent(trackingNumber, status, i))).status).toBe(202);

    const order = await untilOrder(orderId, (candidate) => candidate.status === 'DELIVERED');
    expect(order.status).toBe('DELIVERED');
    expect(order.shipments[0]?.status).toBe('DELIVERED');
    expect(order.shipments[0]?.events.map((event) => event.status)).toEqual([...STATUSES]);
    expect(order.timeline.map((entry) => entry.status).at(-1)).toBe('DELIVERED');
    let delivered = false;
    for (let i = 0; i < 100 && !delivered; i++) {
      const store = (await (await fetch(`${cloud.mailbox}/store`)).json()) as { emails: { subject: string }[] };
      delivered = store.emails.some((mail) => mail.subject === `Order ${orderId} was delivered`);
      if (!delivered) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(delivered).toBe(true);
  });

  it('ends duplicated and shuffled events in the same state as the ordered stream', async () => {
    const ordered = await shippedOrder();
    const shuffled = await shippedOrder();
    const stream = STATUSES.map((status, i) => carrierEvent(shuffled.trackingNumber, status, i));

    for (const [i, status] of STATUSES.entries()) await postCarrierEvent(carrierEvent(ordered.trackingNumber, status, i));
    for (const event of [stream[3], stream[1], stream[1], stream[0], stream[3], stream[2], stream[0]])
      await postCarrierEvent(event as object);

    const a = await untilOrder(ordered.orderId, (order) => order.status === 'DELIVERED' && order.shipments[0]?.events.length === 4);
    const b = await untilOrder(shuffled.orderId, (order) => order.status === 'DELIVERED' && order.shipments[0]?.events.length === 4);
    expect(b.status).toBe(a.status);
    expect(b.shipments[0]?.status).toBe('DELIVERED');
    expect(b.shipments[0]?.events.map((event) => event.status).sort()).toEqual([...STATUSES].sort());
  });

  it('records an EXCEPTION on the timeline for ops without moving the shipment', async () => {
    const { orderId, trackingNumber } = await shippedOrder();

    await postCarrierEvent(carrierEvent(trackingNumber, 'IN_TRANSIT', 1));
    await postCarrierEvent(carrierEvent(trackingNumber, 'EXCEPTION', 2));

    const order = await untilOrder(orderId, (candidate) => (candidate.shipments[0]?.events.length ?? 0) === 2);
    expect(order.shipments[0]?.status).toBe('IN_TRANSIT');
    expect(order.status).toBe('SHIPPED');
    expect(order.timeline.some((entry) => entry.note?.includes('EXCEPTION'))).toBe(true);
  });

  it('refuses forged and stale signatures with 401, and invalid events with 422', async () => {
    const event = carrierEvent('CVY000000000000', 'IN_TRANSIT', 0);
    const raw = JSON.stringify(event);

    const forged = await postCarrierEvent(event, { signature: signCarrierPayload(raw, 'not-the-secret') });
    const stale = await postCarrierEvent(event, { now: Date.now() - 6 * 60 * 1000 });
    const unsigned = await postCarrierEvent(event, { signature: '' });
    const invalid = await postCarrierEvent({ ...event, status: 'TELEPORTED' });

    expect([forged.status, stale.status, unsigned.status]).toEqual([401, 401, 401]);
    expect(forged.body.error?.code).toBe('UNAUTHENTICATED');
    // Each refusal says what is wrong: a wrong secret is not a missing signature.
    const messages = [forged, stale, unsigned].map((response) => (response.body.error as { message?: string } | undefined)?.message);
    expect(messages[0]).toContain('does not match');
    expect(messages[1]).toContain('five minutes');
    expect(messages[2]).toContain('Send X-Conveyor-Signature');
    expect(invalid.status).toBe(422);
  });

  it('moves a message that always fails to the DLQ after maxReceiveCount, and loses nothing else', async () => {
    const sqs = new SQSClient({
      endpoint: cloud.sqs,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { orderId, trackingNumber } = await shippedOrder();
    const poison = carrierEvent('CVY999999999999', 'IN_TRANSIT', 0); // no shipment has this tracking number

    await postCarrierEvent(poison);
    await postCarrierEvent(carrierEvent(trackingNumber, 'PICKED_UP', 1));

    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'Conveyor-MessagingCarrierEventsDlq' }));
    let dead: string | undefined;
    for (let i = 0; i < 40 && !dead; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: QueueUrls[0], WaitTimeSeconds: 1, VisibilityTimeout: 0 }),
      );
      dead = Messages.map((message) => message.Body as string).find((body) => body.includes(poison.eventId));
    }
    expect(dead).toBeDefined();
    const order = await untilOrder(orderId, (candidate) => candidate.shipments[0]?.status === 'PICKED_UP');
    expect(order.shipments[0]?.status).toBe('PICKED_UP');
    sqs.destroy();
  }, 60_000);

  it('lets `npm run carrier -- deliver <orderId>` take a shipped order to DELIVERED through the signed webhook', async () => {
    // Arrange: a shipped order, and the test cloud's endpoints where the CLI looks for them.
    const { orderId } = await shippedOrder();
    const endpoints = path.join(mkdtempSync(path.join(tmpdir(), 'conveyor-carrier-')), 'endpoints.json');
    writeFileSync(endpoints, JSON.stringify(cloud));
    const root = path.resolve(import.meta.dirname, '../..');

    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'local/carrier-cli.ts', 'deliver', orderId, '--endpoints', endpoints],
      { cwd: root },
    );

    // Assert
    expect(stdout).toContain('→ DELIVERED');
    const order = await untilOrder(orderId, (candidate) => candidate.status === 'DELIVERED');
    expect(order.status).toBe('DELIVERED');
    expect(order.shipments[0]?.events.map((event) => event.status)).toEqual([...STATUSES]);
  });
});
