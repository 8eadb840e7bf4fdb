import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoApiKeyRepository } from '../../lambdas/adapters/api-key-repository.js';
import { keys } from '../../lambdas/adapters/keys.js';
import type { SandboxPayment } from '../../lambdas/adapters/sandbox-gateway.js';
import { generateApiKey } from '../../lambdas/domain/api-keys.js';
import type { Money } from '../../lambdas/domain/money.js';
import { offendingOrders, reconciliationReport } from '../../local/reconciliation.js';
import { api, cloud, documentClient, uniqueBarcode, uniqueSku } from './client.js';
import { orderAwaitingPick, postCarrierEvent, shippedOrder, untilOrder } from './lifecycle.js';

const { ops, storefront, warehouse } = cloud.keys;

type Line = { sku: string; name: string; quantity: number; unitPrice: Money; lineTotal: Money };
type ReturnSummary = { returnId: string; rmaNumber: string; status: string; items: { sku: string; quantity: number }[]; refund?: Money };
type Order = {
  orderId: string;
  status: string;
  customer: { email: string };
  items: Line[];
  subtotal: Money;
  shipping: Money;
  tax: Money;
  total: Money;
  returns: ReturnSummary[];
  refunded: Money;
  shipments: { trackingNumber: string }[];
};
type Return = ReturnSummary & {
  orderId: string;
  reason: string;
  condition?: string;
  refundDue: Money;
  createdAt: string;
  updatedAt: string;
};
type Mail = { destination: { to: string[] }; subject: string; body: { html?: string; text?: string } };
type Stock = { onHand: number; reserved: number; available: number };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sqs = new SQSClient({ endpoint: cloud.sqs, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
afterAll(() => sqs.destroy());
/** What this file made, for the reconciliation report at the end. */
const made = { skus: new Set<string>(), orders: new Set<string>() };

/** A product with its own barcode, priced `price` cents, 20 units in stock. */
async function product(price: number): Promise<{ sku: string; barcode: string }> {
  const sku = uniqueSku('RET');
  const barcode = uniqueBarcode();
  await api('PUT', `/products/${sku}`, {
    key: ops,
    body: { name: `Return test ${sku}`, price: { amount: price, currency: 'EUR' }, barcode, weightGrams: 300 },
  });
  await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: 20, reason: 'test' } });
  made.skus.add(sku);
  return { sku, barcode };
}

const getOrder = async (orderId: string) => (await api<Order>('GET', `/orders/${orderId}`, { key: storefront })).body;
const stock = async (sku: string) => (await api<Stock>('GET', `/inventory/${sku}`, { key: ops })).body;

/** An order of the given products and quantities, picked, shipped and delivered through the carrier webhook. */
async function deliveredOrder(lines: { sku: string; barcode: string; quantity: number }[]): Promise<Order> {
  const { orderId, task } = await orderAwaitingPick(lines.map(({ sku, quantity }) => ({ sku, quantity })));
  for (const line of lines)
    for (let unit = 0; unit < line.quantity; unit++)
      await api('POST', `/fulfillment/tasks/${task.taskId}/scans`, { key: warehouse, body: { barcode: line.barcode } });
  await api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 900 } });
  const shipped = await untilOrder(orderId, (order) => order.status === 'SHIPPED');
  const trackingNumber = shipped.shipments[0]?.trackingNumber as string;
  await postCarrierEvent({ eventId: `dlv-${orderId}`, trackingNumber, status: 'DELIVERED', occurredAt: new Date().toISOString() });
  await untilOrder(orderId, (order) => order.status === 'DELIVERED');
  made.orders.add(orderId);
  return getOrder(orderId);
}

const requestReturn = (orderId: string, body: unknown, key = storefront) =>
  api<{ returnId: string; rmaNumber: string; status: string; error?: { code: string; details: { path: string }[] } }>(
    'POST',
    `/orders/${orderId}/returns`,
    { key, body },
  );

let events = 0;
const postReturnEvent = (returnId: string, event: object) =>
  api<{ queued?: boolean; error?: { code: string; details: { path: string }[] } }>('POST', `/returns/${returnId}/events`, {
    key: warehouse,
    body: { eventId: `rev-${process.pid}-${++events}`, ...event },
  });

async function untilReturn(returnId: string, done: (found: Return) => boolean): Promise<Return> {
  let found = (await api<Return>('GET', `/returns/${returnId}`, { key: storefront })).body;
  for (let i = 0; i < 300 && !done(found); i++) {
    await pause(50);
    found = (await api<Return>('GET', `/returns/${returnId}`, { key: storefront })).body;
  }
  return found;
}

/** The mail sent to `email` so far whose subject contains `subject`, waiting up to a few seconds for at least `atLeast`. */
async function mailTo(email: string, subject: string, atLeast = 1): Promise<Mail[]> {
  let mail: Mail[] = [];
  for (let i = 0; i < 100; i++) {
    const store = (await (await fetch(`${cloud.mailbox}/store`)).json()) as { emails: Mail[] };
    mail = store.emails.filter((message) => message.destination.to.includes(email) && message.subject.includes(subject));
    if (mail.length >= atLeast) return mail;
    await pause(50);
  }
  return mail;
}

/** The sandbox gateway's own records of the order's payments: the refunds it made, by id. */
async function gatewayRefunds(orderId: string): Promise<{ refunds: Money[]; refundedAmount: number }> {
  const { Items = [] } = await documentClient.send(
    new QueryCommand({
      TableName: cloud.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.paymentsPartition(orderId) },
      ConsistentRead: true,
    }),
  );
  const payments = Items as SandboxPayment[];
  return {
    refunds: payments.flatMap((payment) => Object.values(payment.refunds ?? {})),
    refundedAmount: payments.reduce((sum, payment) => sum + (payment.refundedAmount ?? 0), 0),
  };
}

/** The goods' share of the tax, as the contract's refund rule computes it (tax is charged on goods and shipping). */
const taxShare = (order: Order, goods: number) =>
  Math.floor(
    (2 * order.tax.amount * goods + order.subtotal.amount + order.shipping.amount) / (2 * (order.subtotal.amount + order.shipping.amount)),
  );

describe('returns', () => {
  it('takes a whole order back: RMA email, received, inspected resellable, restocked, refunded in full, refund email', async () => {
    // Arrange
    const [mug, tea] = [await product(1499), await product(333)];
    const order = await deliveredOrder([
      { ...mug, quantity: 2 },
      { ...tea, quantity: 3 },
    ]);
    expect([(await stock(mug.sku)).onHand, (await stock(tea.sku)).onHand]).toEqual([18, 17]);

    // Act: the customer asks, the warehouse receives and inspects
    const requested = await requestReturn(order.orderId, {
      items: [
        { sku: mug.sku, quantity: 2 },
        { sku: tea.sku, quantity: 3 },
      ],
      reason: 'Changed my mind',
    });
    expect(requested.status).toBe(201);
    expect(requested.body).toEqual({
      returnId: expect.stringMatching(/^ret_/),
      rmaNumber: expect.stringMatching(/^RMA-/),
      status: 'REQUESTED',
    });
    const { returnId, rmaNumber } = requested.body;
    const [rmaMail] = await mailTo(order.customer.email, rmaNumber);
    expect((await postReturnEvent(returnId, { type: 'RECEIVED' })).status).toBe(202);
    const received = await untilReturn(returnId, (found) => found.status === 'RECEIVED');
    expect((await postReturnEvent(returnId, { type: 'INSPECTED', condition: 'RESELLABLE' })).body).toMatchObject({ queued: true });
    const refunded = await untilReturn(returnId, (found) => found.status === 'REFUNDED');

    // Assert
    expect(rmaMail?.subject).toContain(order.orderId);
    expect(rmaMail?.body.text).toContain(`write the return number ${rmaNumber}`);
    expect(rmaMail?.body.text).toContain('Conveyor Returns');
    expect(received.status).toBe('RECEIVED');
    expect(refunded).toMatchObject({
      orderId: order.orderId,
      rmaNumber,
      condition: 'RESELLABLE',
      refund: order.total,
      refundDue: order.total,
    });
    expect([await stock(mug.sku), await stock(tea.sku)]).toEqual([
      { sku: mug.sku, onHand: 20, reserved: 0, available: 20 },
      { sku: tea.sku, onHand: 20, reserved: 0, available: 20 },
    ]);
    const after = await getOrder(order.orderId);
    expect(after.refunded).toEqual(order.total);
    expect(after.returns).toEqual([
      {
        returnId,
        rmaNumber,
        status: 'REFUNDED',
        items: [
          { sku: mug.sku, name: `Return test ${mug.sku}`, quantity: 2 },
          { sku: tea.sku, name: `Return test ${tea.sku}`, quantity: 3 },
        ],
        refund: order.total,
        createdAt: refunded.createdAt,
      },
    ]);
    expect(await mailTo(order.customer.email, `Return ${rmaNumber} refunded`)).toHaveLength(1);
    expect((await gatewayRefunds(order.orderId)).refundedAmount).toBe(order.total.amount);
  });

  it('refunds a damaged unit (its price and its share of the tax) without restocking it', async () => {
    // Arrange
    const [lamp, bulb] = [await product(1999), await product(1250)];
    const order = await deliveredOrder([
      { ...lamp, quantity: 3 },
      { ...bulb, quantity: 1 },
    ]);

    // Act
    const { body } = await requestReturn(order.orderId, { items: [{ sku: lamp.sku, quantity: 1 }], reason: 'Arrived cracked' });
    await postReturnEvent(body.returnId, { type: 'INSPECTED', condition: 'DAMAGED' });
    const refunded = await untilReturn(body.returnId, (found) => found.status === 'REFUNDED');

    // Assert
    const due = 1999 + taxShare(order, 1999);
    expect(due).toBeLessThan(order.total.amount);
    expect(refunded).toMatchObject({
      condition: 'DAMAGED',
      refund: { amount: due, currency: 'EUR' },
      refundDue: { amount: due, currency: 'EUR' },
    });
    expect(await stock(lamp.sku)).toMatchObject({ onHand: 17, available: 17 });
    const after = await getOrder(order.orderId);
    expect(after.refunded).toEqual({ amount: due, currency: 'EUR' });
    expect(after.returns).toMatchObject([{ returnId: body.returnId, status: 'REFUNDED', refund: { amount: due, currency: 'EUR' } }]);
  });

  it('refunds, restocks and emails once for an inspection delivered three times (the same eventId twice, another once)', async () => {
    // Arrange
    const item = await product(2500);
    const order = await deliveredOrder([{ ...item, quantity: 2 }]);
    const { body } = await requestReturn(order.orderId, { items: [{ sku: item.sku, quantity: 1 }], reason: 'Too big' });
    const inspected = { eventId: `same-${body.returnId}`, type: 'INSPECTED', condition: 'RESELLABLE' };

    // Act: the copies at once, and a late one with another condition after the refund
    const posted = await Promise.all([
      postReturnEvent(body.returnId, inspected),
      postReturnEvent(body.returnId, inspected),
      postReturnEvent(body.returnId, { ...inspected, eventId: `other-${body.returnId}` }),
    ]);
    await untilReturn(body.returnId, (found) => found.status === 'REFUNDED');
    await postReturnEvent(body.returnId, { type: 'INSPECTED', condition: 'DAMAGED' });
    await postReturnEvent(body.returnId, { type: 'RECEIVED' });
    await pause(2_500);

    // Assert
    expect(posted.map((response) => response.status)).toEqual([202, 202, 202]);
    const due = 2500 + taxShare(order, 2500);
    const gateway = await gatewayRefunds(order.orderId);
    expect(gateway.refunds).toEqual([{ amount: due, currency: 'EUR' }]);
    expect(gateway.refundedAmount).toBe(due);
    expect((await getOrder(order.orderId)).refunded).toEqual({ amount: due, currency: 'EUR' });
    expect(await stock(item.sku)).toMatchObject({ onHand: 19, available: 19 });
    expect(await untilReturn(body.returnId, () => true)).toMatchObject({ status: 'REFUNDED', condition: 'RESELLABLE' });
    expect(await mailTo(order.customer.email, `Return ${body.rmaNumber} refunded`)).toHaveLength(1);
  });

  it('refuses more units than were delivered and not yet returned (409), across returns and at once, and changes nothing', async () => {
    // Arrange
    const item = await product(800);
    const order = await deliveredOrder([{ ...item, quantity: 2 }]);
    const first = await requestReturn(order.orderId, { items: [{ sku: item.sku, quantity: 1 }], reason: 'One too many' });

    // Act
    const tooMany = await requestReturn(order.orderId, { items: [{ sku: item.sku, quantity: 2 }], reason: 'Both' });
    const racing = await Promise.all([
      requestReturn(order.orderId, { items: [{ sku: item.sku, quantity: 1 }], reason: 'Race A' }),
      requestReturn(order.orderId, { items: [{ sku: item.sku, quantity: 1 }], reason: 'Race B' }),
    ]);

    // Assert
    expect(first.status).toBe(201);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error).toMatchObject({ code: 'RETURN_EXCEEDS_DELIVERED', details: [{ path: 'body.items.0.quantity' }] });
    expect(racing.map((response) => response.status).sort()).toEqual([201, 409]);
    const after = await getOrder(order.orderId);
    expect(after.returns.map((summary) => summary.items[0]?.quantity)).toEqual([1, 1]);
    const loser = racing.find((response) => response.status === 409);
    expect(loser?.body.error?.code).toBe('RETURN_EXCEEDS_DELIVERED');
    // Both returns' refunds together are the whole order: the second one made it whole.
    const dues = await Promise.all(
      after.returns.map(async (summary) => (await untilReturn(summary.returnId, () => true)).refundDue.amount),
    );
    expect(dues[0] as number).toBe(800 + taxShare(order, 800));
    expect((dues[0] as number) + (dues[1] as number)).toBe(order.total.amount);
  });

  it('makes one return for one Idempotency-Key, however often and however concurrently it is sent', async () => {
    // Arrange
    const item = await product(900);
    const order = await deliveredOrder([{ ...item, quantity: 2 }]);
    const body = { items: [{ sku: item.sku, quantity: 1 }], reason: 'Sent twice by a flaky storefront' };
    const send = (sent: unknown, idempotencyKey = `ret-key-${order.orderId}`) =>
      api<{ returnId: string; rmaNumber: string; status: string; error?: { code: string } }>('POST', `/orders/${order.orderId}/returns`, {
        key: storefront,
        body: sent,
        headers: { 'idempotency-key': idempotencyKey },
      });

    // Act
    const answers = await Promise.all([send(body), send(body), send(body)]);
    const later = await send(body);
    const otherBody = await send({ ...body, reason: 'Something else' });
    const otherKey = await send(body, `ret-key-2-${order.orderId}`);

    // Assert
    expect([...answers, later].map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    expect(new Set([...answers, later].map((answer) => answer.body.returnId)).size).toBe(1);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(later.body).toEqual({ ...answers[0]?.body });
    expect(otherBody.status).toBe(409);
    expect(otherBody.body.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(otherKey.status).toBe(201);
    const after = await getOrder(order.orderId);
    expect(after.returns.map((summary) => summary.returnId).sort()).toEqual([later.body.returnId, otherKey.body.returnId].sort());
    expect(await mailTo(order.customer.email, later.body.rmaNumber)).toHaveLength(1);
  });

  it('refuses a return of an order not delivered yet with 409 RETURN_NOT_ALLOWED', async () => {
    const { orderId } = await shippedOrder();
    const order = await getOrder(orderId);

    const refused = await requestReturn(orderId, { items: [{ sku: order.items[0]?.sku, quantity: 1 }], reason: 'Never came' });

    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('RETURN_NOT_ALLOWED');
    expect((await getOrder(orderId)).returns).toEqual([]);
  });

  it('answers bad bodies with 422 and the envelope, and changes nothing', async () => {
    // Arrange
    const item = await product(1000);
    const order = await deliveredOrder([{ ...item, quantity: 1 }]);
    const line = { sku: item.sku, quantity: 1 };
    const bodies: [unknown, string][] = [
      [{ reason: 'x' }, 'body.items'],
      [{ items: [], reason: 'x' }, 'body.items'],
      [{ items: [line, line], reason: 'x' }, 'body.items'],
      [{ items: [{ ...line, quantity: 0 }], reason: 'x' }, 'body.items.0.quantity'],
      [{ items: [{ ...line, quantity: 1.5 }], reason: 'x' }, 'body.items.0.quantity'],
      [{ items: [line], reason: '  ' }, 'body.reason'],
      [{ items: [line], reason: 'x'.repeat(501) }, 'body.reason'],
      [{ items: [line] }, 'body.reason'],
      [{ items: [line], reason: 'x', refund: 100 }, 'body'],
      [{ items: [{ sku: 'NOT-ON-ORDER', quantity: 1 }], reason: 'x' }, 'body.items.0.sku'],
    ];

    // Act
    const answers = await Promise.all(bodies.map(([body]) => requestReturn(order.orderId, body)));
    const { body: good } = await requestReturn(order.orderId, { items: [line], reason: 'Fine' });
    const badEvents = await Promise.all([
      postReturnEvent(good.returnId, { type: 'INSPECTED' }),
      postReturnEvent(good.returnId, { type: 'RECEIVED', condition: 'DAMAGED' }),
      postReturnEvent(good.returnId, { type: 'LOST' }),
      postReturnEvent(good.returnId, { eventId: '', type: 'RECEIVED' }),
    ]);

    // Assert
    for (const [i, answer] of answers.entries()) {
      expect(answer.status, JSON.stringify(bodies[i]?.[0])).toBe(422);
      expect(answer.body.error).toMatchObject({ code: 'VALIDATION_FAILED', requestId: expect.any(String) });
      expect(answer.body.error?.details.map((detail) => detail.path)).toContain(bodies[i]?.[1]);
    }
    expect(badEvents.map((answer) => answer.status)).toEqual([422, 422, 422, 422]);
    expect(badEvents[0]?.body.error?.details).toMatchObject([{ path: 'body.condition' }]);
    const after = await getOrder(order.orderId);
    expect(after.returns.map((summary) => summary.returnId)).toEqual([good.returnId]);
    await pause(1_500);
    expect((await untilReturn(good.returnId, () => true)).status).toBe('REQUESTED');
  });

  it("hides another storefront's orders and returns (404), lets ops and the warehouse read a return, and 404s unknown returns", async () => {
    // Arrange
    const item = await product(1000);
    const order = await deliveredOrder([{ ...item, quantity: 1 }]);
    const { secret: otherStorefront, record } = generateApiKey({ scope: 'storefront', storefrontId: 'other-returns-shop' });
    await new DynamoApiKeyRepository(cloud.tableName, documentClient).create(record);
    const { body } = await requestReturn(order.orderId, { items: [{ sku: item.sku, quantity: 1 }], reason: 'By ops' }, ops);

    // Act
    const foreignRequest = await requestReturn(order.orderId, { items: [{ sku: item.sku, quantity: 1 }], reason: 'x' }, otherStorefront);
    const foreignRead = await api('GET', `/returns/${body.returnId}`, { key: otherStorefront });
    const reads = await Promise.all([ops, warehouse, storefront].map((key) => api('GET', `/returns/${body.returnId}`, { key })));
    const unknownRead = await api('GET', '/returns/ret_nosuchreturn0', { key: ops });
    const unknownEvent = await postReturnEvent('ret_nosuchreturn0', { type: 'RECEIVED' });

    // Assert
    expect([foreignRequest.status, foreignRead.status, unknownRead.status, unknownEvent.status]).toEqual([404, 404, 404, 404]);
    expect(reads.map((read) => read.status)).toEqual([200, 200, 200]);
    expect(unknownEvent.body.error?.code).toBe('NOT_FOUND');
  });

  it('leaves the reconciliation report clean: stock invariants hold after restocks, no order offends, the returns DLQ is empty', async () => {
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'Conveyor-MessagingReturnEventsDlq' }));

    const report = await reconciliationReport({ db: documentClient, tableName: cloud.tableName, queues: { sqs, urls: QueueUrls } });

    expect(made.skus.size).toBeGreaterThan(5);
    expect(report.stockViolations.filter((violation) => made.skus.has(violation.sku))).toEqual([]);
    expect(offendingOrders(report).filter((orderId) => made.orders.has(orderId))).toEqual([]);
    expect(report.queues).toHaveLength(1);
    expect(report.queues[0]).toMatchObject({ deadLetter: true, visible: 0, inFlight: 0 });
  });
});
