import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/keys.js';
import { SqsCarrierEventQueue } from '../../lambdas/adapters/sqs-carrier-event-queue.js';
import { type CarrierEvent, signCarrierPayload } from '../../lambdas/domain/tracking.js';
import { cloud, documentClient } from './client.js';
import { postCarrierEvent, shippedOrder, untilOrder } from './lifecycle.js';

const sqs = new SQSClient({ endpoint: cloud.sqs, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
afterAll(() => sqs.destroy());

/** The carrier-events queue's URL, or its DLQ's. */
async function queueUrl(dlq: boolean): Promise<string> {
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'Conveyor-MessagingCarrierEvents' }));
  return QueueUrls.find((url) => url.includes('Dlq') === dlq) as string;
}

/** TrackCarrier's metric log lines (EMF) for `metric` that mention `text`, waiting a moment for the first. */
async function metricLines(metric: string, text: string): Promise<string[]> {
  for (let i = 0; ; i++) {
    const lines = readdirSync(cloud.logDir)
      .filter((file) => file === 'track-carrier.log')
      .flatMap((file) => readFileSync(path.join(cloud.logDir, file), 'utf8').split('\n'))
      .filter((line) => line.includes(`"${metric}"`) && line.includes(text));
    if (lines.length || i === 50) return lines;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Looks for a message holding `marker` in the DLQ for `seconds`, leaving every message there. */
async function inDlq(marker: string, seconds: number): Promise<boolean> {
  const dlq = await queueUrl(true);
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1, VisibilityTimeout: 0, MaxNumberOfMessages: 10 }),
    );
    if (Messages.some((message) => message.Body?.includes(marker))) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

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

    // The queue's batches run in parallel sandboxes: DELIVERED may be recorded before an earlier event whose
    // batch was retried, which then joins the history late (in time order). Wait for all four.
    const order = await untilOrder(
      orderId,
      (candidate) => candidate.status === 'DELIVERED' && candidate.shipments[0]?.events.length === STATUSES.length,
    );
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

    // An event is recorded, then the shipment advanced (two writes): wait for both events and the advance.
    const order = await untilOrder(
      orderId,
      (candidate) => (candidate.shipments[0]?.events.length ?? 0) === 2 && candidate.shipments[0]?.status !== 'LABEL_CREATED',
    );
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
    const { orderId, trackingNumber } = await shippedOrder();
    // Poison no webhook lets through (it validates every event), so it is put on the queue directly.
    const marker = `poison-${process.pid}-${Date.now().toString(36)}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl(false), MessageBody: `{"eventId":"${marker}", not json` }));

    await postCarrierEvent(carrierEvent(trackingNumber, 'PICKED_UP', 1));

    expect(await inDlq(marker, 40)).toBe(true);
    const order = await untilOrder(orderId, (candidate) => candidate.shipments[0]?.status === 'PICKED_UP');
    expect(order.shipments[0]?.status).toBe('PICKED_UP');
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
    const order = await untilOrder(
      orderId,
      (candidate) => candidate.status === 'DELIVERED' && candidate.shipments[0]?.events.length === STATUSES.length,
    );
    expect(order.status).toBe('DELIVERED');
    expect(order.shipments[0]?.events.map((event) => event.status)).toEqual([...STATUSES]);
  });

  it('keeps an event for an unknown tracking number for a while, counts it, and does not send it to the DLQ', async () => {
    const trackingNumber = `CVYX${Date.now()}${process.pid}`;
    const event = carrierEvent(trackingNumber, 'IN_TRANSIT', 0);

    expect((await postCarrierEvent(event)).status).toBe(202);

    let kept: Record<string, unknown> | undefined;
    for (let i = 0; i < 200 && !kept; i++) {
      ({ Item: kept } = await documentClient.send(
        new GetCommand({ TableName: cloud.tableName, Key: keys.unmatchedCarrierEvent(trackingNumber, event.eventId) }),
      ));
      if (!kept) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(kept).toMatchObject({ ...event, receivedAt: expect.any(String) });
    const days = ((kept?.expiresAt as number) - Date.now() / 1000) / 86_400;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30);
    expect(await metricLines('UnknownTrackingNumbers', trackingNumber)).toHaveLength(1);
    // A failing message would reach the DLQ after five receives, a second apart locally.
    expect(await inDlq(event.eventId, 8)).toBe(false);
  }, 30_000);

  it('keeps a late event after DELIVERED in the shipment history without moving the timeline backwards', async () => {
    const { orderId, trackingNumber } = await shippedOrder();
    await postCarrierEvent(carrierEvent(trackingNumber, 'DELIVERED', 30));
    const delivered = await untilOrder(orderId, (candidate) => candidate.status === 'DELIVERED');
    expect(delivered.status).toBe('DELIVERED');

    await postCarrierEvent(carrierEvent(trackingNumber, 'IN_TRANSIT', 10));

    const order = await untilOrder(orderId, (candidate) => candidate.shipments[0]?.events.length === 2);
    expect(order.shipments[0]?.events.map((event) => event.status)).toEqual(['IN_TRANSIT', 'DELIVERED']);
    expect(order.shipments[0]?.status).toBe('DELIVERED');
    expect(order.timeline).toEqual(delivered.timeline);
    expect(order.timeline.at(-1)?.status).toBe('DELIVERED');
  });
});

describe('carrier events the queue could not carry', () => {
  it('refuses control characters and non-characters in a signed event with 422, before the queue', async () => {
    const base = carrierEvent('CVY000000000001', 'IN_TRANSIT', 0);

    const nul = await postCarrierEvent({ ...base, trackingNumber: 'CVY\u0000' });
    const nonCharacter = await postCarrierEvent({ ...base, trackingNumber: '\uffff' });
    const badEventId = await postCarrierEvent({ ...base, eventId: `evt-\uffff-${base.eventId}` });

    for (const response of [nul, nonCharacter]) {
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'body.trackingNumber' }] } });
    }
    expect(badEventId.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'body.eventId' }] } });
  });

  it("maps the queue's refusal of a body to a validation failure, should the schema ever let one through", async () => {
    const queue = new SqsCarrierEventQueue(await queueUrl(false), sqs);
    // Not a valid CarrierEvent (the schema refuses it): this is the adapter's last line of defence.
    const event = { ...carrierEvent('CVY000000000002', 'IN_TRANSIT', 0), trackingNumber: '\uffff' } as CarrierEvent;

    await expect(queue.enqueue(event)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'body' }] });
  });
});
