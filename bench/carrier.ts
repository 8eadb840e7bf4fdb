import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { signCarrierPayload } from '../lambdas/domain/tracking.js';
import { startLocalCloud } from '../local/cloud.js';
import type { DynamoDbUsage } from '../local/dynamodb-meter.js';
import { type LatencyReport, measure, send } from './load.js';

const root = path.resolve(import.meta.dirname, '..');

export interface CarrierBenchResult {
  events: { posted: number; shipments: number; webhook: LatencyReport; secondsToApplyAll: number; appliedPerSecond: number };
  lifecycle: { stateTransitions: number; lambdaInvocations: number; dynamoDb: DynamoDbUsage; emails: number; httpRequests: number };
}

type Cloud = Awaited<ReturnType<typeof startLocalCloud>>;

/** Takes one order from POST through pick, pack and label to SHIPPED; returns its id and tracking number. */
async function shipOne(cloud: Cloud, agent: Agent, n: number): Promise<{ orderId: string; trackingNumber: string }> {
  const { api, keys } = cloud.endpoints;
  const sf = { authorization: `Bearer ${keys.storefront}` };
  const wh = { authorization: `Bearer ${keys.warehouse}` };
  const body = JSON.stringify({
    customer: { id: `ship-${n}`, email: `ship-${n}@example.com`, name: `Ship ${n}` },
    items: [{ sku: 'MUG-001', quantity: 1 }],
    shippingAddress: { name: 'S', line1: '1 Dock', city: 'Hamburg', postalCode: '20457', country: 'DE' },
    shippingOption: 'standard',
    payment: { token: 'tok_visa' },
  });
  const { orderId } = JSON.parse((await send(`${api}/orders`, 'POST', { ...sf, 'idempotency-key': `ship-${n}` }, body, agent)).text) as {
    orderId: string;
  };
  const taskId = `pick_${orderId.slice(4)}`;
  let scanned = 0;
  while (scanned !== 200) {
    scanned = (await send(`${api}/fulfillment/tasks/${taskId}/scans`, 'POST', wh, JSON.stringify({ barcode: '4006381333931' }), agent))
      .status;
    if (scanned !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await send(`${api}/fulfillment/tasks/${taskId}/complete`, 'POST', wh, JSON.stringify({ packageWeightGrams: 450 }), agent);
  for (;;) {
    const order = JSON.parse((await send(`${api}/orders/${orderId}`, 'GET', sf, undefined, agent)).text) as {
      status: string;
      shipments: { trackingNumber: string }[];
    };
    if (order.status === 'SHIPPED') return { orderId, trackingNumber: order.shipments[0]?.trackingNumber as string };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const postEvent = (cloud: Cloud, agent: Agent, event: object) => {
  const raw = JSON.stringify(event);
  return send(
    `${cloud.endpoints.api}/carrier/events`,
    'POST',
    { 'x-conveyor-signature': signCarrierPayload(raw, cloud.endpoints.carrierSecret) },
    raw,
    agent,
  );
};

/** One order's whole life, metered: POST → CONFIRMED → FULFILLING → PACKED → SHIPPED → DELIVERED. */
async function meterLifecycle(log: (line: string) => void): Promise<CarrierBenchResult['lifecycle']> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-bench-life-'));
  const cloud = await startLocalCloud({ root, stateDir, persist: false, port: 0, meterDynamoDb: true });
  const agent = new Agent({ keepAlive: true });
  const sfn = new SFNClient({
    endpoint: cloud.endpoints.stepfunctions,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { api, keys } = cloud.endpoints;
  const machine = cloud.stepFunctions.listStateMachines({}).stateMachines.find((candidate) => candidate.name.includes('OrderWorkflow'));
  // Waits watch the execution history through the Step Functions API, so no GET request pollutes the counts.
  const waitFor = async (orderId: string, done: (events: { type?: string; stateEnteredEventDetails?: { name?: string } }[]) => boolean) => {
    const executionArn = `${machine?.stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`;
    for (;;) {
      const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
      if (done(events)) return events;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const lifeOf = async (n: number) => {
    const body = JSON.stringify({
      customer: { id: `life-${n}`, email: `life-${n}@example.com`, name: `Life ${n}` },
      items: [{ sku: 'MUG-001', quantity: 1 }],
      shippingAddress: { name: 'L', line1: '1 Dock', city: 'Hamburg', postalCode: '20457', country: 'DE' },
      shippingOption: 'standard',
      payment: { token: 'tok_visa' },
    });
    const placed = await send(
      `${api}/orders`,
      'POST',
      { authorization: `Bearer ${keys.storefront}`, 'idempotency-key': `life-${n}` },
      body,
      agent,
    );
    const { orderId } = JSON.parse(placed.text) as { orderId: string };
    await waitFor(orderId, (events) => events.some((event) => event.type === 'TaskSubmitted'));
    const taskId = `pick_${orderId.slice(4)}`;
    const warehouse = { authorization: `Bearer ${keys.warehouse}` };
    await send(`${api}/fulfillment/tasks/${taskId}/scans`, 'POST', warehouse, JSON.stringify({ barcode: '4006381333931' }), agent);
    await send(`${api}/fulfillment/tasks/${taskId}/complete`, 'POST', warehouse, JSON.stringify({ packageWeightGrams: 450 }), agent);
    await waitFor(orderId, (events) => events.filter((event) => event.type === 'TaskSubmitted').length >= 2);
    const trackingNumber = (cloud.stepFunctions
      .getExecutionHistory({
        executionArn: `${machine?.stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`,
        maxResults: 1000,
      })
      .events.map((event) => JSON.stringify(event))
      .join('')
      .match(/CVY\d{12}/) ?? [''])[0];
    for (const [i, status] of ['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED'].entries()) {
      await postEvent(cloud, agent, {
        eventId: `life-${n}-${i}`,
        trackingNumber,
        status,
        occurredAt: new Date(Date.now() + i * 1000).toISOString(),
      });
    }
    return waitFor(orderId, (events) => events.some((event) => event.type === 'ExecutionSucceeded'));
  };
  try {
    await lifeOf(0); // warm every function on the way
    cloud.dynamoDbMeter?.reset();
    const invocations = () => cloud.lambdas.functions.reduce((sum, fn) => sum + fn.invocations, 0);
    const before = invocations();
    const events = await lifeOf(1);
    const lifecycle = {
      stateTransitions: events.filter((event) => event.type?.endsWith('StateEntered')).length,
      lambdaInvocations: invocations() - before,
      dynamoDb: cloud.dynamoDbMeter?.reset() as DynamoDbUsage,
      emails: (
        (await (await fetch(`${cloud.endpoints.mailbox}/store`)).json()) as { emails: { destination: { to: string[] } }[] }
      ).emails.filter((mail) => mail.destination.to.includes('life-1@example.com')).length,
      httpRequests: 7,
    };
    log(
      `lifecycle: ${lifecycle.stateTransitions} transitions, ${lifecycle.lambdaInvocations} Lambda invocations, ${lifecycle.emails} emails, DynamoDB ${JSON.stringify(lifecycle.dynamoDb.requests)}`,
    );
    return lifecycle;
  } finally {
    agent.destroy();
    sfn.destroy();
    await cloud.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function benchCarrier(log: (line: string) => void): Promise<CarrierBenchResult> {
  const lifecycle = await meterLifecycle(log);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-bench-carrier-'));
  const cloud = await startLocalCloud({ root, stateDir, persist: false, port: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const shipments = 100;
    const shipped: { orderId: string; trackingNumber: string }[] = [];
    for (let batch = 0; batch < shipments; batch += 20) {
      shipped.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => shipOne(cloud, agent, batch + i + 10)))));
    }
    log(`${shipped.length} orders shipped; posting carrier events`);
    const statuses = ['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY'];
    const total = 3000;
    let next = 0;
    const started = performance.now();
    const webhook = await measure(
      async () => {
        const n = next++;
        const target = shipped[n % shipped.length] as { trackingNumber: string };
        return (
          await postEvent(cloud, agent, {
            eventId: `bench-${n}`,
            trackingNumber: target.trackingNumber,
            status: statuses[n % 3],
            occurredAt: new Date(Date.now() - 60_000 + n).toISOString(),
          })
        ).status;
      },
      32,
      total,
      202,
    );
    log(`webhook: ${webhook.throughput.toFixed(0)} events/s accepted, p99 ${webhook.p99.toFixed(1)} ms`);
    const applied = async () => {
      let sum = 0;
      for (const order of shipped) {
        const body = JSON.parse(
          (
            await send(
              `${cloud.endpoints.api}/orders/${order.orderId}`,
              'GET',
              { authorization: `Bearer ${cloud.endpoints.keys.ops}` },
              undefined,
              agent,
            )
          ).text,
        ) as {
          shipments: { events: unknown[] }[];
        };
        sum += body.shipments[0]?.events.length ?? 0;
      }
      return sum;
    };
    const deadline = Date.now() + 300_000;
    while ((await applied()) < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const secondsToApplyAll = (performance.now() - started) / 1000;
    const events = { posted: total, shipments: shipped.length, webhook, secondsToApplyAll, appliedPerSecond: total / secondsToApplyAll };
    log(
      `webhook → SQS → TrackCarrier → DynamoDB: ${events.appliedPerSecond.toFixed(0)} events/s applied (${total} in ${secondsToApplyAll.toFixed(1)} s)`,
    );
    return { events, lifecycle };
  } finally {
    agent.destroy();
    await cloud.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
