import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { startLocalCloud } from '../local/cloud.js';
import type { DynamoDbUsage } from '../local/dynamodb-meter.js';
import { type LatencyReport, measure, send } from './load.js';

const root = path.resolve(import.meta.dirname, '..');

export interface OrdersBenchResult {
  perOrder: {
    stateTransitions: number;
    workflowLambdaInvocations: number;
    apiLambdaInvocations: number;
    dynamoDb: DynamoDbUsage;
    emails: number;
  };
  postLatency: LatencyReport[];
  throughput: { orders: number; seconds: number; ordersPerSecond: number; confirmed: number };
}

interface BenchCloud {
  cloud: Awaited<ReturnType<typeof startLocalCloud>>;
  placeOrder: () => Promise<{ status: number; orderId: string; email: string }>;
  executionArn: (orderId: string) => string;
  /** Orders confirmed so far: their workflow has sent the confirmation and moved on to the pick task. */
  confirmed: () => number;
  sfn: SFNClient;
  close: () => Promise<void>;
}

/** A local cloud in this process with a product in deep stock, and a way to place unique orders for it. */
async function benchCloud(meterDynamoDb: boolean): Promise<BenchCloud> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-bench-orders-'));
  const cloud = await startLocalCloud({ root, stateDir, persist: false, port: 0, meterDynamoDb });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sfn = new SFNClient({
    endpoint: cloud.endpoints.stepfunctions,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { api, keys } = cloud.endpoints;
  const ops = { authorization: `Bearer ${keys.ops}` };
  const sku = 'BENCH-STOCK';
  await fetch(`${api}/products/${sku}`, {
    method: 'PUT',
    headers: { ...ops, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Benchmark mug', price: { amount: 1500, currency: 'EUR' }, barcode: '96385074', weightGrams: 400 }),
  });
  await send(`${api}/inventory/${sku}/adjustments`, 'POST', ops, JSON.stringify({ delta: 1_000_000, reason: 'benchmark stock' }), agent);
  const machine = cloud.stepFunctions.listStateMachines({}).stateMachines.find((candidate) => candidate.name.includes('OrderWorkflow'));
  if (!machine) throw new Error('The template has no order workflow.');
  let sequence = 0;
  return {
    cloud,
    sfn,
    confirmed: () => cloud.stepFunctions.timesEntered('CreatePickTask'),
    executionArn: (orderId) => `${machine.stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`,
    placeOrder: async () => {
      const n = ++sequence;
      const email = `bench-${n}@example.com`;
      const body = JSON.stringify({
        customer: { id: `bench-${n}`, email, name: `Bench ${n}` },
        items: [{ sku, quantity: 1 }],
        shippingAddress: { name: `Bench ${n}`, line1: '1 Load Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
        shippingOption: 'standard',
        payment: { token: 'tok_visa' },
      });
      const response = await send(
        `${api}/orders`,
        'POST',
        { authorization: `Bearer ${keys.storefront}`, 'idempotency-key': `bench-${n}` },
        body,
        agent,
      );
      return { status: response.status, orderId: (JSON.parse(response.text) as { orderId: string }).orderId, email };
    },
    close: async () => {
      agent.destroy();
      sfn.destroy();
      await cloud.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const until = async (done: () => boolean | Promise<boolean>) => {
  const deadline = Date.now() + 300_000;
  while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
};

/** One order alone, on a cloud with the DynamoDB meter in the path: what a happy order costs. */
async function meterOneOrder(log: (line: string) => void): Promise<OrdersBenchResult['perOrder']> {
  const bench = await benchCloud(true);
  try {
    for (let i = 0; i < 5; i++) await bench.placeOrder(); // warm every function
    await until(() => bench.confirmed() >= 5);
    bench.cloud.dynamoDbMeter?.reset();
    const lambdaInvocations = () => bench.cloud.lambdas.functions.reduce((sum, fn) => sum + fn.invocations, 0);
    const invocationsBefore = lambdaInvocations();
    const single = await bench.placeOrder();
    const arn = bench.executionArn(single.orderId);
    await until(() => bench.confirmed() >= 6);
    // Let the pick task's write land before reading the meter: it belongs to the order's cost too.
    await until(async () => {
      const { events = [] } = await bench.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }));
      return events.some((event) => event.type === 'TaskSubmitted');
    });
    const dynamoDb = bench.cloud.dynamoDbMeter?.reset() as DynamoDbUsage;
    const allInvocations = lambdaInvocations() - invocationsBefore;
    const { events: history = [] } = await bench.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }));
    // Up to CONFIRMED: everything before the pick task (which waits for the warehouse).
    const events = history.slice(
      0,
      history.findIndex((event) => event.stateEnteredEventDetails?.name === 'CreatePickTask'),
    );
    const mailbox = (await (await fetch(`${bench.cloud.endpoints.mailbox}/store`)).json()) as {
      emails: { destination: { to: string[] } }[];
    };
    const workflowLambdaInvocations = events.filter(
      (event) => event.type === 'TaskScheduled' && event.taskScheduledEventDetails?.resourceType === 'lambda',
    ).length;
    const perOrder = {
      stateTransitions: events.filter((event) => event.type?.endsWith('StateEntered')).length,
      workflowLambdaInvocations,
      apiLambdaInvocations: allInvocations - workflowLambdaInvocations,
      dynamoDb,
      emails: mailbox.emails.filter((mail) => mail.destination.to.includes(single.email)).length,
    };
    log(
      `per order: ${perOrder.stateTransitions} transitions, ${workflowLambdaInvocations} workflow + ${perOrder.apiLambdaInvocations} API Lambda invocations, DynamoDB ${JSON.stringify(dynamoDb.requests)}`,
    );
    return perOrder;
  } finally {
    await bench.close();
  }
}

export async function benchOrders(log: (line: string) => void): Promise<OrdersBenchResult> {
  const perOrder = await meterOneOrder(log);
  const bench = await benchCloud(false);
  try {
    for (let i = 0; i < 20; i++) await bench.placeOrder();
    await until(() => bench.confirmed() >= 20);

    const postLatency: LatencyReport[] = [];
    postLatency.push(await measure(async () => (await bench.placeOrder()).status, 1, 200, 202));
    log(`POST /orders c=1: p50 ${postLatency[0]?.p50.toFixed(1)} ms, p99 ${postLatency[0]?.p99.toFixed(1)} ms`);
    await until(() => bench.confirmed() >= 220);

    const before = bench.confirmed();
    const total = 1000;
    const started = performance.now();
    postLatency.push(await measure(async () => (await bench.placeOrder()).status, 32, total, 202));
    log(`POST /orders c=32: p50 ${postLatency[1]?.p50.toFixed(1)} ms, p99 ${postLatency[1]?.p99.toFixed(1)} ms`);
    await until(() => bench.confirmed() - before >= total);
    const seconds = (performance.now() - started) / 1000;
    const confirmed = bench.confirmed() - before;
    const throughput = { orders: total, seconds, ordersPerSecond: confirmed / seconds, confirmed };
    log(`POST to CONFIRMED: ${throughput.ordersPerSecond.toFixed(0)} orders/s (${confirmed} of ${total} in ${seconds.toFixed(1)} s)`);
    return { perOrder, postLatency, throughput };
  } finally {
    await bench.close();
  }
}
