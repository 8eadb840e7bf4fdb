import { describe, expect, it } from 'vitest';
import { SLOW_LABEL_POSTAL_CODE } from '../../lambdas/adapters/sandbox-carrier.js';
import { SandboxGateway } from '../../lambdas/adapters/sandbox-gateway.js';
import { api, cloud, documentClient } from './client.js';
import { product, type Task, untilOrder } from './lifecycle.js';

const { ops, storefront, warehouse } = cloud.keys;
const gateway = new SandboxGateway(cloud.table, documentClient);

type Money = { amount: number; currency: string };
type CancelledOrder = {
  orderId: string;
  status: string;
  statusReason?: string;
  total: Money;
  refunded: Money;
  timeline: { status: string; note?: string }[];
};
type Stock = { onHand: number; reserved: number; available: number };
type ErrorBody = { error: { code: string; message: string } };

let sequence = 0;
/** Places an order of `quantity` units of `sku`; the customer's email is unique, so its mail can be found. */
async function place(sku: string, options: { quantity?: number; token?: string; postalCode?: string } = {}) {
  const id = `cancel-${process.pid}-${Date.now().toString(36)}-${++sequence}`;
  const placed = await api<{ orderId: string }>('POST', '/orders', {
    key: storefront,
    headers: { 'idempotency-key': id },
    body: {
      customer: { id, email: `${id}@example.com`, name: 'Margaret Hamilton' },
      items: [{ sku, quantity: options.quantity ?? 2 }],
      shippingAddress: {
        name: 'Margaret Hamilton',
        line1: '11 Apollo Road',
        city: 'Boston',
        postalCode: options.postalCode ?? '02139',
        country: 'DE',
      },
      shippingOption: 'standard',
      payment: { token: options.token ?? 'tok_visa' },
    },
  });
  expect(placed.status).toBe(202);
  return { orderId: placed.body.orderId, email: `${id}@example.com` };
}

const order = async (orderId: string) => (await api<CancelledOrder>('GET', `/orders/${orderId}`, { key: storefront })).body;
const stock = async (sku: string) => (await api<Stock>('GET', `/inventory/${sku}`, { key: ops })).body;
const cancel = (orderId: string, body: unknown = { reason: 'changed my mind' }, key = storefront) =>
  api<ErrorBody & { status: string }>('POST', `/orders/${orderId}/cancel`, { key, body });
const ended = (orderId: string) => untilOrder(orderId, (candidate) => ['CANCELLED', 'SHIPPED', 'REJECTED'].includes(candidate.status), 600);

async function pickTaskOf(orderId: string): Promise<Task> {
  for (let i = 0; i < 400; i++) {
    const { body } = await api<{ items: Task[] }>('GET', '/fulfillment/tasks?status=OPEN&limit=100', { key: warehouse });
    const task = body.items.find((candidate) => candidate.orderId === orderId);
    if (task) return task;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no pick task for ${orderId}`);
}

/**
 * Scans every unit and completes the task; the first refusal (a scan or the completion of a task its order's
 * cancel closed: 409 TASK_NOT_OPEN) is the answer.
 */
async function pickAndPack(task: Task, barcode: string) {
  for (const line of task.lines)
    for (let unit = 0; unit < line.quantity; unit++) {
      const scan = await api<ErrorBody>('POST', `/fulfillment/tasks/${task.taskId}/scans`, { key: warehouse, body: { barcode } });
      if (scan.status !== 200) {
        expect([scan.status, scan.body.error.code]).toEqual([409, 'TASK_NOT_OPEN']);
        return scan;
      }
    }
  return api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 900 } });
}

/** The gateway's own records for the order: what was authorized, captured, voided and refunded. */
async function money(orderId: string) {
  const payments = await gateway.paymentsOf(orderId);
  return {
    statuses: payments.map((payment) => payment.status).sort(),
    refunds: payments.flatMap((payment) => Object.values(payment.refunds ?? {})).length,
    refunded: payments.reduce((sum, payment) => sum + (payment.refundedAmount ?? 0), 0),
  };
}

async function mailTo(email: string): Promise<string[]> {
  const store = (await (await fetch(`${cloud.mailbox}/store`)).json()) as { emails: { subject: string; destination: { to: string[] } }[] };
  return store.emails.filter((mail) => mail.destination.to.includes(email)).map((mail) => mail.subject);
}

describe('POST /orders/{orderId}/cancel', () => {
  it('cancels an order held for fraud review: nothing was authorized or reserved, and a second cancel changes nothing', async () => {
    const item = await product();
    const { orderId, email } = await place(item.sku, { token: 'tok_fraud_review' });
    await untilOrder(orderId, (candidate) => candidate.status === 'ON_HOLD');

    const [first, second] = [await cancel(orderId), await cancel(orderId)];
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);

    const done = (await ended(orderId)) as unknown as CancelledOrder;
    expect(done.status).toBe('CANCELLED');
    expect((await order(orderId)).statusReason).toBe('CUSTOMER_REQUESTED');
    expect(done.timeline.filter((entry) => entry.note?.startsWith('cancellation requested'))).toHaveLength(1);
    expect(done.timeline.at(-1)).toMatchObject({ status: 'CANCELLED', note: expect.stringContaining('on request (changed my mind)') });
    expect(await stock(item.sku)).toEqual({ sku: item.sku, onHand: 20, reserved: 0, available: 20 });
    expect(await money(orderId)).toEqual({ statuses: [], refunds: 0, refunded: 0 });
    // Ops can no longer decide on it, and a cancel now is too late: it has ended.
    expect((await api('POST', `/ops/orders/${orderId}/review`, { key: ops, body: { decision: 'approve' } })).status).toBe(409);
    const late = await cancel(orderId);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('NOT_CANCELLABLE');
    await expect.poll(() => mailTo(email), { timeout: 10_000 }).toContain(`Order ${orderId} cancelled`);
  });

  it('cancels an order waiting for its pick: stock released, the capture refunded once, the pick task closed', async () => {
    const item = await product();
    const { orderId, email } = await place(item.sku);
    const task = await pickTaskOf(orderId);
    expect(await stock(item.sku)).toMatchObject({ onHand: 20, reserved: 2, available: 18 });

    // Two cancels at once: it is cancelled once. The second is told the order is being cancelled (202) or, when the
    // first one's compensations already ended it (a cold sandbox can make the second that late), that it has ended.
    const answers = await Promise.all([cancel(orderId), cancel(orderId, {})]);
    expect(answers.map((answer) => answer.status)).toContain(202);
    for (const answer of answers.filter((candidate) => candidate.status !== 202))
      expect([answer.status, answer.body.error.code]).toEqual([409, 'NOT_CANCELLABLE']);

    const done = (await ended(orderId)) as unknown as CancelledOrder;
    expect(done.status).toBe('CANCELLED');
    expect(done.refunded).toEqual(done.total);
    expect(await stock(item.sku)).toEqual({ sku: item.sku, onHand: 20, reserved: 0, available: 20 });
    expect(await money(orderId)).toEqual({ statuses: ['CAPTURED'], refunds: 1, refunded: done.total.amount });

    // The warehouse no longer sees the task, and cannot work on it.
    const open = await api<{ items: Task[] }>('GET', '/fulfillment/tasks?status=OPEN&limit=100', { key: warehouse });
    expect(open.body.items.map((candidate) => candidate.taskId)).not.toContain(task.taskId);
    const scan = await api<ErrorBody>('POST', `/fulfillment/tasks/${task.taskId}/scans`, {
      key: warehouse,
      body: { barcode: item.barcode },
    });
    expect([scan.status, scan.body.error.code]).toEqual([409, 'TASK_NOT_OPEN']);
    const complete = await api<ErrorBody>('POST', `/fulfillment/tasks/${task.taskId}/complete`, {
      key: warehouse,
      body: { packageWeightGrams: 500 },
    });
    expect(complete.status).toBe(409);
    await expect.poll(() => mailTo(email), { timeout: 10_000 }).toContain(`Order ${orderId} cancelled`);
  });

  it('cancels a PACKED order while its label is bought: the shipment is refused, stock and money come back', async () => {
    const item = await product();
    // The sandbox carrier takes three seconds over this postal code's label: the order rests in PACKED meanwhile.
    const { orderId } = await place(item.sku, { postalCode: SLOW_LABEL_POSTAL_CODE });
    const task = await pickTaskOf(orderId);
    expect((await pickAndPack(task, item.barcode)).status).toBe(202);
    await untilOrder(orderId, (candidate) => candidate.status === 'PACKED');
    // A second in, BuyLabel is well into its three seconds: it checked the order before the cancel came.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await order(orderId)).status).toBe('PACKED');

    expect((await cancel(orderId)).status).toBe(202);

    const done = (await ended(orderId)) as unknown as CancelledOrder;
    expect(done.status).toBe('CANCELLED');
    expect(done.timeline.map((entry) => entry.status)).not.toContain('SHIPPED');
    expect(done.refunded).toEqual(done.total);
    expect(await stock(item.sku)).toEqual({ sku: item.sku, onHand: 20, reserved: 0, available: 20 });
    expect(await money(orderId)).toMatchObject({ refunds: 1, refunded: done.total.amount });
    // The path it took: the label was bought, then ShipStock was refused by the cancellation.
    const execution = await api<{ events: { type: string; stateName?: string }[] }>('GET', `/ops/orders/${orderId}/execution`, {
      key: ops,
    });
    const entered = execution.body.events.filter((event) => event.type.endsWith('StateEntered')).map((event) => event.stateName);
    expect(entered).toEqual(
      expect.arrayContaining(['BuyLabel', 'ShipStock', 'ExplainShipment', 'Cancel', 'RefundPayment', 'MarkCancelled']),
    );
  });

  it('refuses to cancel a shipped order and changes nothing', async () => {
    const item = await product();
    const { orderId } = await place(item.sku, { quantity: 1 });
    expect((await pickAndPack(await pickTaskOf(orderId), item.barcode)).status).toBe(202);
    await untilOrder(orderId, (candidate) => candidate.status === 'SHIPPED');

    const refused = await cancel(orderId);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('NOT_CANCELLABLE');
    expect(refused.body.error.message).toMatch(/shipped/);
    const after = await order(orderId);
    expect(after.status).toBe('SHIPPED');
    expect(after.refunded.amount).toBe(0);
    expect(after.timeline.some((entry) => entry.note?.startsWith('cancellation requested'))).toBe(false);
    expect(await stock(item.sku)).toEqual({ sku: item.sku, onHand: 19, reserved: 0, available: 19 });
  });

  it('a cancel racing the shipment has one outcome: cancelled with everything back, or shipped and refused', async () => {
    const item = await product();
    const orders = await Promise.all([0, 40, 80, 120, 200, 400].map(() => place(item.sku, { quantity: 1 })));
    const outcomes = await Promise.all(
      orders.map(async ({ orderId }, index) => {
        const task = await pickTaskOf(orderId);
        const packing = pickAndPack(task, item.barcode);
        await new Promise((resolve) => setTimeout(resolve, index * 40));
        const [packed, cancelled] = await Promise.all([packing, cancel(orderId)]);
        const done = (await ended(orderId)) as unknown as CancelledOrder;
        return { orderId, packed: packed.status, cancelled: cancelled.status, status: done.status, refunded: done.refunded.amount };
      }),
    );
    let shipped = 0;
    for (const outcome of outcomes) {
      if (outcome.cancelled === 202) {
        expect(outcome).toMatchObject({ status: 'CANCELLED', refunded: (await order(outcome.orderId)).total.amount });
      } else {
        expect(outcome).toMatchObject({ cancelled: 409, status: 'SHIPPED', refunded: 0 });
        shipped++;
      }
      expect((await money(outcome.orderId)).refunds).toBe(outcome.cancelled === 202 ? 1 : 0);
    }
    // Whatever the mix, every unit is accounted for: shipped ones left, cancelled ones came back.
    expect(await stock(item.sku)).toEqual({ sku: item.sku, onHand: 20 - shipped, reserved: 0, available: 20 - shipped });
  });

  it('cancels an order right after it is placed, wherever its workflow is', async () => {
    const item = await product();
    const placed = await Promise.all([1, 2, 3].map(() => place(item.sku)));
    const answers = await Promise.all(placed.map(({ orderId }) => cancel(orderId)));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202]);
    for (const { orderId } of placed) {
      const done = (await ended(orderId)) as unknown as CancelledOrder;
      expect(done.status).toBe('CANCELLED');
      const payments = await money(orderId);
      // Voided if only authorized, refunded in full if captured: never money kept.
      expect(payments.statuses.every((status) => status === 'VOIDED' || status === 'CAPTURED')).toBe(true);
      expect(payments.refunded).toBe(payments.statuses.includes('CAPTURED') ? done.total.amount : 0);
      expect(done.refunded.amount).toBe(payments.refunded);
    }
    expect(await stock(item.sku)).toEqual({ sku: item.sku, onHand: 20, reserved: 0, available: 20 });
  });

  it('answers bad requests with a 4xx and changes nothing', async () => {
    const item = await product();
    const { orderId } = await place(item.sku, { token: 'tok_fraud_review' });
    await untilOrder(orderId, (candidate) => candidate.status === 'ON_HOLD');

    const cases = [
      { body: { reason: 'x'.repeat(501) }, status: 422 },
      { body: { reason: 'fine', refund: false }, status: 422 },
      { body: { reason: 42 }, status: 422 },
      { body: [], status: 422 },
    ];
    for (const bad of cases) expect((await cancel(orderId, bad.body)).status).toBe(bad.status);
    expect((await cancel('ord_doesnotexist000')).status).toBe(404);
    expect((await cancel('not-an-order')).status).toBe(422);
    expect((await cancel(orderId, {}, warehouse)).status).toBe(403);
    const malformed = await api('POST', `/orders/${orderId}/cancel`, {
      key: storefront,
      rawBody: '{"reason":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);

    const after = await order(orderId);
    expect(after.status).toBe('ON_HOLD');
    expect(after.timeline.some((entry) => entry.note?.startsWith('cancellation requested'))).toBe(false);
    // Ops may cancel any order; the reason says so.
    expect((await cancel(orderId, {}, ops)).status).toBe(202);
    await untilOrder(orderId, (candidate) => candidate.status === 'CANCELLED');
    expect((await order(orderId)).statusReason).toBe('OPS_REQUESTED');
  });
});
