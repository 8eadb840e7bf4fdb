import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoApiKeyRepository } from '../../lambdas/adapters/api-key-repository.js';
import { generateApiKey } from '../../lambdas/domain/api-keys.js';
import { api, cloud, documentClient, uniqueBarcode, uniqueSku } from './client.js';

const { storefront, warehouse, finance } = cloud.keys;

type Summary = { orderId: string; status: string; total: { amount: number; currency: string }; createdAt: string };
type Inquiry = {
  inquiryId: string;
  orderId: string;
  status: 'OPEN' | 'CLOSED';
  customer: { email: string; name: string };
  subject: string;
  message: string;
  replies: { at: string; message: string; by: string }[];
  order?: Summary;
  createdAt: string;
  closedAt?: string;
};
type Page = { items: Inquiry[]; nextCursor: string | null };
type ErrorBody = { error: { code: string; message: string; details: { path: string }[]; requestId: string } };
type Mail = { destination: { to: string[] }; subject: string; body: { html?: string; text?: string } };

let ops: string;
let opsKeyId: string;
let otherStorefront: string;

beforeAll(async () => {
  // Keys of our own: an ops key whose id the replies must carry, and a second storefront.
  const keys = new DynamoApiKeyRepository(cloud.tableName, documentClient);
  const opsKey = generateApiKey({ scope: 'ops', name: 'inquiries test' });
  const other = generateApiKey({ scope: 'storefront', storefrontId: 'inquiries-other-shop' });
  await keys.create(opsKey.record);
  await keys.create(other.record);
  ops = opsKey.secret;
  opsKeyId = opsKey.record.keyId;
  otherStorefront = other.secret;
});

let orderCount = 0;
/** An order of the seeded storefront for a customer no other test mails. */
async function placeOrder(): Promise<{ orderId: string; email: string }> {
  const sku = uniqueSku('INQ');
  const product = await api('PUT', `/products/${sku}`, {
    key: ops,
    body: { name: 'Inquiry mug', price: { amount: 1500, currency: 'EUR' }, barcode: uniqueBarcode(), weightGrams: 300 },
  });
  expect(product.status).toBe(200);
  await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: 5, reason: 'inquiries test' } });
  const email = `inq-${process.pid}-${Date.now().toString(36)}-${++orderCount}@example.com`;
  const placed = await api<{ orderId: string }>('POST', '/orders', {
    key: storefront,
    headers: { 'idempotency-key': `inq-${email}` },
    body: {
      customer: { id: email, email, name: 'Grace Hopper' },
      items: [{ sku, quantity: 1 }],
      shippingAddress: { name: 'Grace Hopper', line1: '1 Compiler Road', city: 'Arlington', postalCode: '22201', country: 'US' },
      shippingOption: 'standard',
      payment: { token: 'tok_visa' },
    },
  });
  expect(placed.status).toBe(202);
  return { orderId: placed.body.orderId, email };
}

const openInquiry = (orderId: string, body: unknown, key = storefront) =>
  api<{ inquiryId: string; status: string }>('POST', `/orders/${orderId}/inquiries`, { key, body });
const reply = (inquiryId: string, body: unknown, key = ops) => api<Inquiry>('POST', `/ops/inquiries/${inquiryId}/replies`, { key, body });
const getInquiry = async (inquiryId: string) => (await api<Inquiry>('GET', `/ops/inquiries/${inquiryId}`, { key: ops })).body;
/** The inquiry itself, without its order's summary (the order's status moves on while the workflow runs). */
const inquiryOnly = ({ order: _order, ...inquiry }: Inquiry) => inquiry;

/** Every inquiry of a status, following nextCursor page by page (small pages, so paging is exercised). */
async function listAll(status: 'OPEN' | 'CLOSED'): Promise<Inquiry[]> {
  const items: Inquiry[] = [];
  let cursor: string | null = '';
  do {
    const query: string = `status=${status}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const page = await api<Page>('GET', `/ops/inquiries?${query}`, { key: ops });
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

/** The reply emails (not the order's own emails) sent to `email`; waits for `count` of them, or a moment when none. */
async function repliesMailedTo(email: string, count: number): Promise<Mail[]> {
  let mail: Mail[] = [];
  for (let i = 0; i < (count ? 100 : 10); i++) {
    const store = (await (await fetch(`${cloud.mailbox}/store`)).json()) as { emails: Mail[] };
    mail = store.emails.filter((message) => message.destination.to.includes(email) && message.subject.startsWith('Re: '));
    if (count && mail.length >= count) return mail;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return mail;
}

/** reply-to-inquiry's EMF lines for InquiryFirstResponseSeconds that name `inquiryId`. */
async function firstResponseMetrics(inquiryId: string): Promise<Record<string, unknown>[]> {
  const read = () =>
    readdirSync(cloud.logDir)
      .filter((file) => file === 'reply-to-inquiry.log')
      .flatMap((file) => readFileSync(path.join(cloud.logDir, file), 'utf8').split('\n'))
      .filter((line) => line.includes('"InquiryFirstResponseSeconds"') && line.includes(inquiryId))
      .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);
  for (let i = 0; i < 50 && read().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  return read();
}

describe('inquiries', () => {
  it("lets a storefront open an inquiry on its own order, and ops too; another storefront's is not found", async () => {
    const { orderId, email } = await placeOrder();

    const opened = await openInquiry(orderId, { subject: 'Gift wrap?', message: 'Can you wrap it?' });
    const byOps = await openInquiry(orderId, { subject: 'Called us', message: 'The customer phoned about it.' }, ops);
    const byOther = await api<ErrorBody>('POST', `/orders/${orderId}/inquiries`, {
      key: otherStorefront,
      body: { subject: 'Mine?', message: 'Not yours.' },
    });

    expect(opened.status).toBe(201);
    expect(opened.body).toEqual({ inquiryId: expect.stringMatching(/^inq_[a-z0-9]+$/), status: 'OPEN' });
    expect(byOps.status).toBe(201);
    expect(byOther.status).toBe(404);
    expect(byOther.body.error).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
    const stored = await getInquiry(opened.body.inquiryId);
    expect(stored).toMatchObject({
      orderId,
      status: 'OPEN',
      subject: 'Gift wrap?',
      message: 'Can you wrap it?',
      customer: { email, name: 'Grace Hopper' },
      replies: [],
      order: { orderId, total: { amount: expect.any(Number), currency: 'EUR' }, status: expect.any(String) },
    });
    expect((await listAll('OPEN')).filter((inquiry) => inquiry.orderId === orderId)).toHaveLength(2);
  });

  it('lists OPEN inquiries for ops oldest first, page by page, each with its order summary', async () => {
    const first = await placeOrder();
    const second = await placeOrder();
    const ids: string[] = [];
    for (const orderId of [first.orderId, second.orderId, first.orderId]) {
      ids.push((await openInquiry(orderId, { subject: `About ${orderId}`, message: 'Hello?' })).body.inquiryId);
    }

    const open = await listAll('OPEN');

    const mine = open.filter((inquiry) => ids.includes(inquiry.inquiryId));
    expect(mine.map((inquiry) => inquiry.inquiryId)).toEqual(ids);
    const times = open.map((inquiry) => inquiry.createdAt);
    expect(times).toEqual([...times].sort());
    for (const { orderId } of [first, second]) {
      const order = (await api<Summary>('GET', `/orders/${orderId}`, { key: ops })).body;
      for (const inquiry of mine.filter((candidate) => candidate.orderId === orderId)) {
        expect(inquiry.order).toEqual({ orderId, status: expect.any(String), total: order.total, createdAt: order.createdAt });
      }
    }
  });

  it('lists one order’s inquiries, open and closed, oldest first, page by page, and no other order’s', async () => {
    const { orderId } = await placeOrder();
    const other = await placeOrder();
    const ids: string[] = [];
    for (const subject of ['Colour?', 'Size?', 'Gift wrap?'])
      ids.push((await openInquiry(orderId, { subject, message: 'Hello?' })).body.inquiryId);
    await openInquiry(other.orderId, { subject: 'Not this one', message: 'Hello?' });
    expect((await reply(ids[0] as string, { message: 'Blue.' })).body.status).toBe('CLOSED');

    const items: Inquiry[] = [];
    let cursor: string | null = '';
    do {
      const page: { status: number; body: Page } = await api<Page>(
        'GET',
        `/ops/inquiries?orderId=${orderId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { key: ops },
      );
      expect(page.status).toBe(200);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);

    expect(items.map((inquiry) => inquiry.inquiryId)).toEqual(ids);
    expect(items.map((inquiry) => inquiry.status)).toEqual(['CLOSED', 'OPEN', 'OPEN']);
    expect(items[0]?.replies.map((answer) => answer.message)).toEqual(['Blue.']);
    expect(items[0]?.order).toMatchObject({ orderId });
    const both = await api<ErrorBody>('GET', `/ops/inquiries?orderId=${orderId}&status=OPEN`, { key: ops });
    expect(both.status).toBe(422);
    expect(both.body.error.details.map((item) => item.path)).toContain('query.orderId');
  });

  it('emails each reply: close=false keeps the inquiry open and listed, the next reply closes it, a reply after that is 409', async () => {
    const { orderId, email } = await placeOrder();
    const { inquiryId } = (await openInquiry(orderId, { subject: 'Where is my <mug>?', message: 'Ordered a week ago & waiting.' })).body;

    const keptOpen = await reply(inquiryId, { message: 'It leaves the warehouse today.', close: false });

    expect(keptOpen.status).toBe(200);
    expect(keptOpen.body).toMatchObject({
      inquiryId,
      status: 'OPEN',
      replies: [{ message: 'It leaves the warehouse today.', by: opsKeyId }],
    });
    expect((await listAll('OPEN')).map((inquiry) => inquiry.inquiryId)).toContain(inquiryId);
    const firstMail = await repliesMailedTo(email, 1);
    expect(firstMail).toHaveLength(1);
    expect(firstMail[0]?.subject).toBe(`Re: Where is my <mug>? (order ${orderId})`);
    expect(firstMail[0]?.body.text).toContain('It leaves the warehouse today.');
    expect(firstMail[0]?.body.text).toContain('> Ordered a week ago & waiting.');
    expect(firstMail[0]?.body.html).toContain('Where is my &lt;mug&gt;?');

    const closed = await reply(inquiryId, { message: 'Tracking: it is out for delivery.' });

    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'CLOSED', closedAt: expect.any(String) });
    expect(closed.body.replies.map((answer) => answer.message)).toEqual([
      'It leaves the warehouse today.',
      'Tracking: it is out for delivery.',
    ]);
    expect((await listAll('OPEN')).map((inquiry) => inquiry.inquiryId)).not.toContain(inquiryId);
    expect((await listAll('CLOSED')).map((inquiry) => inquiry.inquiryId)).toContain(inquiryId);
    const mail = await repliesMailedTo(email, 2);
    expect(mail.map((message) => message.body.text?.split('\n')[2])).toEqual([
      'It leaves the warehouse today.',
      'Tracking: it is out for delivery.',
    ]);

    const late = await reply(inquiryId, { message: 'One more thing.' });

    expect(late.status).toBe(409);
    expect((late.body as unknown as ErrorBody).error).toMatchObject({ code: 'INQUIRY_CLOSED', requestId: expect.any(String) });
    expect(await repliesMailedTo(email, 0)).toHaveLength(2);
    expect((await getInquiry(inquiryId)).replies).toHaveLength(2);
    // Only the first reply measures the customer's wait.
    const metrics = await firstResponseMetrics(inquiryId);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]?.InquiryFirstResponseSeconds).toEqual(expect.any(Number));
  });

  it('answers two replies sent at once so that every email sent is on record and the inquiry ends CLOSED once', async () => {
    const { orderId, email } = await placeOrder();
    const { inquiryId } = (await openInquiry(orderId, { subject: 'Twice?', message: 'Two of you may answer.' })).body;

    const answers = await Promise.all([reply(inquiryId, { message: 'Answer A' }), reply(inquiryId, { message: 'Answer B' })]);

    // Each is 200 (emailed and recorded) or 409 (it saw the inquiry closed already: nothing sent).
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
    expect(statuses).toContain(200);
    const sent = answers.filter((answer) => answer.status === 200).length;
    const inquiry = await getInquiry(inquiryId);
    expect(inquiry.status).toBe('CLOSED');
    expect(inquiry.replies).toHaveLength(sent);
    expect(await repliesMailedTo(email, sent)).toHaveLength(sent);
    expect((await listAll('CLOSED')).filter((candidate) => candidate.inquiryId === inquiryId)).toHaveLength(1);
  });

  it('refuses bad bodies, params and queries with the error envelope, and changes nothing', async () => {
    const { orderId, email } = await placeOrder();
    const { inquiryId } = (await openInquiry(orderId, { subject: 'Size', message: 'Is it large?' })).body;
    const before = inquiryOnly(await getInquiry(inquiryId));
    const post = (route: string, options: { body?: unknown; rawBody?: string }) =>
      api<ErrorBody>('POST', route, { key: ops, headers: { 'content-type': 'application/json' }, ...options });

    const refusals: [Promise<{ status: number; body: ErrorBody }>, number, string | undefined][] = [
      [post(`/orders/${orderId}/inquiries`, { body: { subject: '', message: 'x' } }), 422, 'body.subject'],
      [post(`/orders/${orderId}/inquiries`, { body: { subject: 'x', message: 'y'.repeat(5001) } }), 422, 'body.message'],
      [post(`/orders/${orderId}/inquiries`, { body: { subject: 'a\r\nBcc: x', message: 'y' } }), 422, 'body.subject'],
      [post(`/orders/${orderId}/inquiries`, { body: { subject: 'x', message: 'y', priority: 'high' } }), 422, 'body'],
      [post(`/orders/${orderId}/inquiries`, { rawBody: '{"subject":' }), 400, undefined],
      [post('/orders/not-an-order/inquiries', { body: { subject: 'x', message: 'y' } }), 422, 'path.orderId'],
      [post(`/ops/inquiries/${inquiryId}/replies`, { body: { message: '' } }), 422, 'body.message'],
      [post(`/ops/inquiries/${inquiryId}/replies`, { body: { message: 'x', close: 'yes' } }), 422, 'body.close'],
      [post(`/ops/inquiries/${inquiryId}/replies`, { rawBody: 'not json' }), 400, undefined],
      [post('/ops/inquiries/inq-bad/replies', { body: { message: 'x' } }), 422, 'path.inquiryId'],
      [post('/ops/inquiries/inq_doesnotexist1/replies', { body: { message: 'x' } }), 404, undefined],
      [api<ErrorBody>('GET', '/ops/inquiries?status=PENDING', { key: ops }), 422, 'query.status'],
      [api<ErrorBody>('GET', '/ops/inquiries?limit=0', { key: ops }), 422, 'query.limit'],
      [api<ErrorBody>('GET', '/ops/inquiries?cursor=bm90LW91cnM', { key: ops }), 422, 'query.cursor'],
      [api<ErrorBody>('GET', '/ops/inquiries?orderId=not-an-order', { key: ops }), 422, 'query.orderId'],
      [api<ErrorBody>('GET', '/ops/inquiries/inq_doesnotexist1', { key: ops }), 404, undefined],
    ];

    for (const [request, status, detail] of refusals) {
      const response = await request;
      expect(response.status).toBe(status);
      expect(response.body.error).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/), requestId: expect.any(String) });
      if (detail) expect(response.body.error.details.map((item) => item.path)).toContain(detail);
    }
    expect(inquiryOnly(await getInquiry(inquiryId))).toEqual(before);
    expect((await listAll('OPEN')).filter((inquiry) => inquiry.orderId === orderId)).toHaveLength(1);
    expect(await repliesMailedTo(email, 0)).toEqual([]);
  });

  it('keeps the ops routes to ops: warehouse, finance and storefront keys are 403, no key is 401', async () => {
    const { orderId } = await placeOrder();
    const { inquiryId } = (await openInquiry(orderId, { subject: 'Scopes', message: 'Who may read me?' })).body;
    const calls = [
      ['GET', '/ops/inquiries', undefined],
      ['GET', `/ops/inquiries/${inquiryId}`, undefined],
      ['POST', `/ops/inquiries/${inquiryId}/replies`, { message: 'Not yours to answer.' }],
    ] as const;

    for (const [method, route, body] of calls) {
      for (const key of [warehouse, finance, storefront]) {
        const response = await api<ErrorBody>(method, route, { key, body });
        expect(response.status).toBe(403);
        expect(response.body.error.code).toBe('FORBIDDEN');
      }
      expect((await api(method, route, { body })).status).toBe(401);
    }
    for (const key of [warehouse, finance]) {
      expect((await openInquiry(orderId, { subject: 'x', message: 'y' }, key)).status).toBe(403);
    }
    expect(await getInquiry(inquiryId)).toMatchObject({ status: 'OPEN', replies: [] });
  });
});
