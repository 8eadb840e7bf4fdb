import { describe, expect, it } from 'vitest';
import { api, cloud } from './client.js';
import { orderAwaitingPick, product, type Task } from './lifecycle.js';

const { storefront, warehouse } = cloud.keys;
type ErrorBody = { error: { code: string } };
const scan = (taskId: string, barcode: string) =>
  api<Task & ErrorBody>('POST', `/fulfillment/tasks/${taskId}/scans`, { key: warehouse, body: { barcode } });
const picked = (task: Task) => Object.fromEntries(task.lines.map((line) => [line.sku, line.picked]));

describe('pick and pack', () => {
  it('takes an order from FULFILLING through scans and complete to SHIPPED with a label and email, refusing every wrong scan unchanged', async () => {
    const mug = await product();
    const tee = await product();
    const stranger = await product();
    const { orderId, task } = await orderAwaitingPick([
      { sku: mug.sku, quantity: 2 },
      { sku: tee.sku, quantity: 1 },
    ]);
    expect(task.lines.map((line) => [line.sku, line.barcode, line.quantity, line.picked])).toEqual(
      expect.arrayContaining([
        [mug.sku, mug.barcode, 2, 0],
        [tee.sku, tee.barcode, 1, 0],
      ]),
    );
    expect((await api<{ status: string }>('GET', `/orders/${orderId}`, { key: storefront })).body.status).toBe('FULFILLING');

    const badDigit = await scan(task.taskId, `${mug.barcode.slice(0, -1)}${(Number(mug.barcode.at(-1)) + 1) % 10}`);
    const notOnTask = await scan(task.taskId, stranger.barcode);
    const early = await api<ErrorBody>('POST', `/fulfillment/tasks/${task.taskId}/complete`, {
      key: warehouse,
      body: { packageWeightGrams: 800 },
    });
    expect([badDigit.status, badDigit.body.error.code]).toEqual([422, 'INVALID_BARCODE']);
    expect([notOnTask.status, notOnTask.body.error.code]).toEqual([422, 'BARCODE_MISMATCH']);
    expect([early.status, early.body.error.code]).toEqual([409, 'PICK_INCOMPLETE']);

    expect((await scan(task.taskId, mug.barcode)).status).toBe(200);
    expect((await scan(task.taskId, `0${mug.barcode}`)).status).toBe(200); // the same item as GTIN-14
    const last = await scan(task.taskId, tee.barcode);
    const extra = await scan(task.taskId, mug.barcode);
    expect(picked(last.body)).toEqual({ [mug.sku]: 2, [tee.sku]: 1 });
    expect([extra.status, extra.body.error.code]).toEqual([422, 'ALREADY_PICKED']);

    const complete = await api('POST', `/fulfillment/tasks/${task.taskId}/complete`, { key: warehouse, body: { packageWeightGrams: 800 } });
    expect(complete.status).toBe(202);
    type Shipped = {
      status: string;
      timeline: { status: string }[];
      shipments: { carrier: string; service: string; trackingNumber: string; trackingUrl: string; status: string }[];
    };
    let order: Shipped = { status: '', timeline: [], shipments: [] };
    for (let i = 0; i < 200 && order.status !== 'SHIPPED'; i++) {
      order = (await api<Shipped>('GET', `/orders/${orderId}`, { key: storefront })).body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(order.timeline.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED', 'FULFILLING', 'PACKED', 'SHIPPED']);
    expect(order.shipments).toEqual([
      expect.objectContaining({
        service: 'Express',
        status: 'LABEL_CREATED',
        trackingNumber: expect.stringMatching(/^CVY\d{12}$/),
        trackingUrl: expect.stringContaining('CVY'),
      }),
    ]);
    const trackingNumber = order.shipments[0]?.trackingNumber as string;
    let shippedMail: { subject: string; body: { text: string; html: string } } | undefined;
    for (let i = 0; i < 100 && !shippedMail; i++) {
      const store = (await (await fetch(`${cloud.mailbox}/store`)).json()) as {
        emails: { subject: string; body: { text: string; html: string } }[];
      };
      shippedMail = store.emails.find((mail) => mail.subject === `Order ${orderId} has shipped`);
      if (!shippedMail) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(shippedMail?.body.text).toContain(trackingNumber);
    expect(shippedMail?.body.html).toContain(order.shipments[0]?.trackingUrl);
    const again = await api<ErrorBody>('POST', `/fulfillment/tasks/${task.taskId}/complete`, {
      key: warehouse,
      body: { packageWeightGrams: 800 },
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'TASK_NOT_OPEN']);
  });

  it('lets two scanners race for the last unit and picks it once', async () => {
    const print = await product();
    const { task } = await orderAwaitingPick([{ sku: print.sku, quantity: 1 }]);

    const results = await Promise.all(Array.from({ length: 10 }, () => scan(task.taskId, print.barcode)));

    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    expect(results.filter((result) => result.body.error?.code === 'ALREADY_PICKED')).toHaveLength(9);
    const { body } = await api<{ items: Task[] }>('GET', '/fulfillment/tasks?status=OPEN&limit=100', { key: warehouse });
    expect(body.items.find((candidate) => candidate.taskId === task.taskId)?.lines[0]?.picked).toBe(1);
  });

  it('pages through the open tasks with cursors, and refuses an open-list cursor for the completed list', async () => {
    const item = await product();
    const { task: older } = await orderAwaitingPick([{ sku: item.sku, quantity: 1 }]);
    const { task: newer } = await orderAwaitingPick([{ sku: item.sku, quantity: 1 }]);

    // Other tests' tasks share the list: page one at a time until both of ours went by.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { items: Task[]; nextCursor: string | null } } = await api(
        'GET',
        `/fulfillment/tasks?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        { key: warehouse },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((task) => task.taskId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && !seen.includes(newer.taskId));
    const openCursor = (await api<{ nextCursor: string }>('GET', '/fulfillment/tasks?limit=1', { key: warehouse })).body.nextCursor;
    const completed = await api<ErrorBody>('GET', `/fulfillment/tasks?status=COMPLETED&cursor=${openCursor}`, { key: warehouse });

    expect(pages).toBeGreaterThan(1);
    expect(seen.indexOf(older.taskId)).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf(older.taskId)).toBeLessThan(seen.indexOf(newer.taskId));
    expect(new Set(seen).size).toBe(seen.length);
    expect(completed.status).toBe(422);
  });

  it('keeps storefronts away from the warehouse routes', async () => {
    expect((await api('GET', '/fulfillment/tasks', { key: storefront })).status).toBe(403);
  });
});
