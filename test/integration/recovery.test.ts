import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/keys.js';
import { DynamoOrderRepository } from '../../lambdas/adapters/order-repository.js';
import { DynamoPickTaskRepository } from '../../lambdas/adapters/pick-task-repository.js';
import type { StoredOrder } from '../../lambdas/domain/orders.js';
import { api, cloud, documentClient } from './client.js';
import { orderAwaitingPick, placeOrder, product, untilOrder } from './lifecycle.js';
import { eventually, sfn } from './sfn-client.js';

const { ops, warehouse } = cloud.keys;

describe('stock accounting', () => {
  it('takes a shipped order of 3 units out of onHand and reserved, once', async () => {
    // Arrange: 20 units on hand, an order of 3 waiting for the warehouse.
    const item = await product();
    const { orderId, task } = await orderAwaitingPick([{ sku: item.sku, quantity: 3 }]);
    expect((await api('GET', `/inventory/${item.sku}`, { key: ops })).body).toEqual({
      sku: item.sku,
      onHand: 20,
      reserved: 3,
      available: 17,
    });
    const reservation = () => documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: keys.reservation(orderId) }));
    expect((await reservation()).Item?.items).toEqual({ [item.sku]: 3 });

    // Act: pick, pack, ship.
    for (let unit = 0; unit < 3; unit++)
      await api('POST', `/fulfillment/tasks/${task.taskId}/scans`, { key: warehouse, body: { barcode: item.barcode } });
    await api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 900 } });
    const order = await untilOrder(orderId, (candidate) => candidate.status === 'SHIPPED');

    // Assert: the units left on-hand and reserved together; the reservation is gone.
    expect(order.status).toBe('SHIPPED');
    expect((await api('GET', `/inventory/${item.sku}`, { key: ops })).body).toEqual({
      sku: item.sku,
      onHand: 17,
      reserved: 0,
      available: 17,
    });
    expect((await reservation()).Item).toBeUndefined();
  });
});

describe('completing a pick task', () => {
  it('answers the workflow on a retry when the request that closed the task failed before answering it', async () => {
    // Arrange: a picked task closed in the table (as the first request did) while the workflow still waits on it.
    const item = await product();
    const { orderId, task } = await orderAwaitingPick([{ sku: item.sku, quantity: 1 }]);
    await api('POST', `/fulfillment/tasks/${task.taskId}/scans`, { key: warehouse, body: { barcode: item.barcode } });
    await new DynamoPickTaskRepository(cloud.tableName, documentClient).complete(task.taskId, 700, new Date().toISOString());

    // Act: the warehouse app retries the request.
    const retried = await api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 700 } });
    const order = await untilOrder(orderId, (candidate) => candidate.status === 'SHIPPED');

    // Assert: the retry finished the job; a further repeat is refused as before.
    expect(retried.status).toBe(202);
    expect(order.status).toBe('SHIPPED');
    const repeat = await api<{ error: { code: string } }>('POST', `/fulfillment/tasks/${task.taskId}/complete`, {
      key: warehouse,
      body: { packageWeightGrams: 700 },
    });
    expect([repeat.status, repeat.body.error.code]).toEqual([409, 'TASK_NOT_OPEN']);
  });
});

describe('the reconciler', () => {
  it('starts the workflow of an order that was written but never started (a crash between the two)', async () => {
    // Arrange: an order as PlaceOrder writes it, an hour old, with no execution.
    const item = await product();
    const orderId = `ord_stranded${Date.now().toString(36)}`;
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const money = (amount: number) => ({ amount, currency: 'EUR' });
    const order: StoredOrder = {
      orderId,
      storefrontId: 'stranded-store',
      status: 'PENDING',
      customer: { id: 'c-stranded', email: 'stranded@example.com', name: 'Stranded' },
      items: [{ sku: item.sku, name: 'Pick test', quantity: 1, unitPrice: money(990), lineTotal: money(990) }],
      subtotal: money(990),
      shipping: money(0),
      tax: money(0),
      total: money(990),
      shippingOption: 'standard',
      shippingAddress: { name: 'Stranded', line1: '1 Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
      paymentToken: 'tok_visa',
      barcodes: { [item.sku]: item.barcode },
      shipments: [],
      returns: [],
      refunded: money(0),
      timeline: [{ at: anHourAgo, status: 'PENDING', note: 'order placed' }],
      createdAt: anHourAgo,
      updatedAt: anHourAgo,
    };
    // No run is started here (nothing but the reconciler starts one; checking for its absence would race the schedule).
    await new DynamoOrderRepository(cloud.tableName, documentClient).place(order, { key: orderId, requestHash: 'x', response: {} });

    // Act: the reconciler's schedule (every 5 minutes, 3 s at the test cloud's time scale) finds it.
    let status = 'PENDING';
    // CONFIRMED is passed through on the way to FULFILLING: wait for where the order rests.
    for (let i = 0; i < 300 && (status === 'PENDING' || status === 'CONFIRMED'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await api<{ status: string }>('GET', `/orders/${orderId}`, { key: ops })).body.status;
    }

    // Assert: it ran like any order, up to the warehouse.
    expect(status).toBe('FULFILLING');
    expect((await api('GET', `/ops/orders/${orderId}/execution`, { key: ops })).status).toBe(200);
  });
});

describe('POST /ops/orders/{orderId}/redrive', () => {
  it('refuses a running workflow with 409 NOT_REDRIVABLE and an unknown order with 404', async () => {
    const item = await product();
    const { orderId } = await orderAwaitingPick([{ sku: item.sku, quantity: 1 }]);

    const running = await api<{ error: { code: string } }>('POST', `/ops/orders/${orderId}/redrive`, { key: ops });
    const unknown = await api<{ error: { code: string } }>('POST', '/ops/orders/ord_nosuchorder/redrive', { key: ops });

    expect(running.status).toBe(409);
    expect(running.body.error.code).toBe('NOT_REDRIVABLE');
    expect(unknown.status).toBe(404);
  });
  /** Stops the order's run where it waits, and returns the token the order held for it. */
  async function stopWaitingRun(orderId: string, tokenAttribute: 'reviewToken' | 'pickTaskToken'): Promise<string> {
    const { executionArn } = (await api<{ executionArn: string }>('GET', `/ops/orders/${orderId}/execution`, { key: ops })).body;
    const before = await storedOrder(orderId);
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Ops.Stopped', cause: 'stopped by hand while waiting' }));
    return before[tokenAttribute] as string;
  }

  const storedOrder = async (orderId: string) =>
    (await documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: keys.order(orderId), ConsistentRead: true })))
      .Item as Record<string, unknown>;

  it('goes back to waiting for the review when the run was stopped while the order was held, and the approval then counts', async () => {
    // Arrange: an order held for review, its run stopped by hand (the reconciler leaves a stopped run to ops).
    const item = await product();
    const orderId = await placeOrder([{ sku: item.sku, quantity: 1 }], { token: 'tok_fraud_review' });
    await untilOrder(orderId, (order) => order.status === 'ON_HOLD');
    const oldToken = await stopWaitingRun(orderId, 'reviewToken');

    // Act
    const redrive = await api('POST', `/ops/orders/${orderId}/redrive`, { key: ops });
    const held = await eventually(async () => {
      const order = await storedOrder(orderId);
      return order.reviewToken !== oldToken ? order : undefined;
    });
    const review = await api('POST', `/ops/orders/${orderId}/review`, { key: ops, body: { decision: 'approve' } });

    // Assert: held again with a fresh token (not cancelled), and the approval moves it on.
    expect(redrive.status).toBe(202);
    expect(held.status).toBe('ON_HOLD');
    expect(review.status).toBe(202);
    expect((await untilOrder(orderId, (order) => order.status === 'FULFILLING')).status).toBe('FULFILLING');
  });

  it('goes back to waiting for the warehouse when the run was stopped during the pick, keeping the scans', async () => {
    // Arrange: an order waiting for its pick, one of two units scanned, its run stopped by hand.
    const item = await product();
    const { orderId, task } = await orderAwaitingPick([{ sku: item.sku, quantity: 2 }]);
    await api('POST', `/fulfillment/tasks/${task.taskId}/scans`, { key: warehouse, body: { barcode: item.barcode } });
    const oldToken = await stopWaitingRun(orderId, 'pickTaskToken');

    // Act
    const redrive = await api('POST', `/ops/orders/${orderId}/redrive`, { key: ops });
    const waiting = await eventually(async () => {
      const order = await storedOrder(orderId);
      return order.pickTaskToken !== oldToken ? order : undefined;
    });
    const second = await api<{ lines: { picked: number }[] }>('POST', `/fulfillment/tasks/${task.taskId}/scans`, {
      key: warehouse,
      body: { barcode: item.barcode },
    });
    const complete = await api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 800 } });

    // Assert: still FULFILLING (not cancelled), the first scan kept, and completing the task ships it.
    expect(redrive.status).toBe(202);
    expect(waiting.status).toBe('FULFILLING');
    expect(second.body.lines[0]?.picked).toBe(2);
    expect(complete.status).toBe(202);
    expect((await untilOrder(orderId, (order) => order.status === 'SHIPPED')).status).toBe('SHIPPED');
  });
});
