import { request } from 'node:http';
import { connect } from 'node:net';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { DynamoApiKeyRepository } from '../../lambdas/adapters/api-key-repository.js';
import { generateApiKey } from '../../lambdas/domain/api-keys.js';
import { api, cloud, documentClient, uniqueBarcode, uniqueSku } from './client.js';

const { ops, storefront } = cloud.keys;
type ErrorBody = { error: { code: string; message: string; details: { path: string; message: string }[]; requestId: string } };

const validProduct = { name: 'Lamp', price: { amount: 2599, currency: 'EUR' }, barcode: uniqueBarcode(), weightGrams: 900 };

describe('bad input gets a clear 4xx and changes nothing', () => {
  it('answers malformed JSON with 400', async () => {
    const sku = uniqueSku();
    const response = await api<ErrorBody>('PUT', `/products/${sku}`, {
      key: ops,
      rawBody: '{"name": "Lamp",',
      headers: { 'content-type': 'application/json' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('MALFORMED_JSON');
    expect((await api('GET', `/products/${sku}`, { key: ops })).status).toBe(404);
  });

  it('answers schema violations with 422 and the path of every bad field', async () => {
    const sku = uniqueSku();
    const response = await api<ErrorBody>('PUT', `/products/${sku}`, {
      key: ops,
      body: { ...validProduct, barcode: '4006381333932', weightGrams: -5, price: { amount: 12.5, currency: 'euro' } },
    });

    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    expect(response.body.error.details.map((detail) => detail.path).sort()).toEqual([
      'body.barcode',
      'body.price.amount',
      'body.price.currency',
      'body.weightGrams',
    ]);
    expect((await api('GET', `/products/${sku}`, { key: ops })).status).toBe(404);
  });

  it('rejects unknown fields rather than ignoring them', async () => {
    const response = await api<ErrorBody>('PUT', `/products/${uniqueSku()}`, { key: ops, body: { ...validProduct, available: 99 } });
    expect(response.status).toBe(422);
  });

  it('answers an invalid SKU in the path with 422', async () => {
    const response = await api<ErrorBody>('GET', '/products/has%20space', { key: ops });
    expect(response.status).toBe(422);
    expect(response.body.error.details[0]?.path).toBe('path.sku');
  });

  it('answers a body over 256 KiB with 413', async () => {
    const sku = uniqueSku();
    const response = await api<ErrorBody>('PUT', `/products/${sku}`, { key: ops, body: { ...validProduct, name: 'x'.repeat(300 * 1024) } });

    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await api('GET', `/products/${sku}`, { key: ops })).status).toBe(404);
  });

  it('answers a non-JSON content type with 415', async () => {
    const response = await api<ErrorBody>('PUT', `/products/${uniqueSku()}`, {
      key: ops,
      rawBody: 'name=Lamp',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
  });
});

describe('authentication and scopes', () => {
  it('answers a request without a key with 401 and says how to send one', async () => {
    const response = await api<ErrorBody>('GET', '/products/MUG-001');
    expect(response.status).toBe(401);
    expect(response.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('Authorization: Bearer') });
  });

  it('answers an unknown key with 401', async () => {
    expect((await api('GET', '/products/MUG-001', { key: 'cvy_ops_not-a-real-key' })).status).toBe(401);
  });

  it('answers a key with 401 as soon as it is revoked, even one the authorizer has just seen', async () => {
    const keys = new DynamoApiKeyRepository(cloud.tableName, documentClient);
    const { secret, record } = generateApiKey({ scope: 'ops' });
    await keys.create(record);
    expect((await api('GET', '/products/MUG-001', { key: secret })).status).toBe(200);

    await keys.revoke(record.keyId);

    expect((await api('GET', '/products/MUG-001', { key: secret })).status).toBe(401);
  });

  it('accepts a new key at once (unknown keys are not cached)', async () => {
    const keys = new DynamoApiKeyRepository(cloud.tableName, documentClient);
    const { secret, record } = generateApiKey({ scope: 'ops' });
    expect((await api('GET', '/products/MUG-001', { key: secret })).status).toBe(401);

    await keys.create(record);

    expect((await api('GET', '/products/MUG-001', { key: secret })).status).toBe(200);
  });

  it('answers a key without the route scope with 403, and changes nothing', async () => {
    const response = await api<ErrorBody>('PUT', '/products/MUG-001', { key: storefront, body: { ...validProduct, name: 'Hijacked' } });

    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
    expect((await api('GET', '/products/MUG-001', { key: ops })).body.name).not.toBe('Hijacked');
  });

  it('keeps storefronts away from inventory adjustments', async () => {
    const response = await api('POST', '/inventory/MUG-001/adjustments', { key: storefront, body: { delta: 1000, reason: 'x' } });
    expect(response.status).toBe(403);
  });
});

describe('routes and requests no function can read', () => {
  const envelope = (status: number, code: string) => ({
    status,
    body: { error: { code, message: expect.any(String), details: expect.any(Array), requestId: expect.any(String) } },
  });

  it('answers an unknown route with 404 and the envelope, with or without a key', async () => {
    const withKey = await api<ErrorBody>('GET', '/no/such/route', { key: ops });
    const withoutKey = await api<ErrorBody>('POST', '/orderz', { body: {} });

    expect(withKey).toMatchObject(envelope(404, 'ROUTE_NOT_FOUND'));
    expect(withoutKey).toMatchObject(envelope(404, 'ROUTE_NOT_FOUND'));
    expect(withKey.body.error.requestId).toBe(withKey.headers.get('apigw-requestid'));
  });

  it('answers a wrong method with 405, the envelope and an Allow header, and changes nothing', async () => {
    const before = await api('GET', '/products/MUG-001', { key: ops });

    const deleted = await api<ErrorBody>('DELETE', '/products/MUG-001', { key: ops });
    const patched = await api<ErrorBody>('PATCH', '/products/MUG-001', { key: ops, body: { name: 'Patched' } });
    const posted = await api<ErrorBody>('POST', '/health');

    expect(deleted).toMatchObject(envelope(405, 'METHOD_NOT_ALLOWED'));
    expect(deleted.headers.get('allow')).toBe('GET, PUT, OPTIONS');
    expect(patched).toMatchObject(envelope(405, 'METHOD_NOT_ALLOWED'));
    expect(posted.headers.get('allow')).toBe('GET, OPTIONS');
    expect((await api('GET', '/products/MUG-001', { key: ops })).body).toEqual(before.body);
  });

  it('answers OPTIONS on a route with 204 and Allow, and on an unknown path with 404', async () => {
    const known = await api('OPTIONS', '/orders/ord_abcdefgh12');
    const unknown = await api<ErrorBody>('OPTIONS', '/nowhere');

    expect(known.status).toBe(204);
    expect(known.headers.get('allow')).toBe('GET, OPTIONS');
    expect(unknown).toMatchObject(envelope(404, 'ROUTE_NOT_FOUND'));
  });

  it("answers headers over 16 KB with 431 and the envelope, also far over the HTTP parser's limit", async () => {
    const over = await api<ErrorBody>('GET', '/health', { headers: { 'x-padding': 'a'.repeat(17 * 1024) } });
    const farOver = await api<ErrorBody>('GET', '/health', { headers: { 'x-padding': 'a'.repeat(70 * 1024) } });
    const head = await fetch(`${cloud.api}/health`, { method: 'HEAD', headers: { 'x-padding': 'a'.repeat(17 * 1024) } });

    expect(over).toMatchObject(envelope(431, 'HEADERS_TOO_LARGE'));
    expect(farOver).toMatchObject(envelope(431, 'HEADERS_TOO_LARGE'));
    expect(head.status).toBe(431);
    expect(await head.text()).toBe('');
  });

  it('answers a request that is not HTTP/1.1 with 400 and the envelope', async () => {
    const { port, hostname } = new URL(cloud.api);
    const socket = connect(Number(port), hostname);
    socket.end('GET /health HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n');

    const [head, body] = (await text(socket)).split('\r\n\r\n');

    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(body as string)).toMatchObject({ error: { code: 'MALFORMED_REQUEST', requestId: expect.any(String) } });
  });

  it('answers a request target that is not a path with 400 and the envelope', async () => {
    const { port, hostname } = new URL(cloud.api);
    // Absolute-form with a broken host: fetch would refuse to send it, Node's client sends it as given.
    const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      request({ host: hostname, port, path: 'http://[', method: 'GET' }, async (incoming) =>
        resolve({ status: incoming.statusCode, body: await text(incoming) }),
      )
        .on('error', reject)
        .end();
    });

    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({
      error: { code: 'MALFORMED_REQUEST', details: [{ path: 'path', message: 'not a path' }] },
    });
  });

  it('answers malformed percent-encoding in a path with 400 and the envelope, and changes nothing', async () => {
    const read = await api<ErrorBody>('GET', '/inventory/%ZZ', { key: ops });
    const write = await api<ErrorBody>('POST', '/inventory/MUG-%E0%A4%A/adjustments', { key: ops, body: { delta: 1, reason: 'x' } });

    expect(read).toMatchObject(envelope(400, 'MALFORMED_REQUEST'));
    expect(read.body.error.details).toEqual([{ path: 'path', message: 'malformed percent-encoding' }]);
    expect(write).toMatchObject(envelope(400, 'MALFORMED_REQUEST'));
  });
});

describe('list cursors', () => {
  type Page = { items: { orderId: string }[]; nextCursor: string | null };
  const refusedCursor = (response: { status: number; body: unknown }) => {
    expect(response.status).toBe(422);
    expect((response.body as ErrorBody).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'query.cursor', message: expect.any(String) }],
    });
  };

  /** A storefront of its own with three (rejected, out-of-stock) orders, newest first. */
  async function storefrontWithOrders(): Promise<{ key: string; storefrontId: string; orderIds: string[] }> {
    const storefrontId = `cursor-${process.pid}-${Date.now().toString(36)}`;
    const { secret, record } = generateApiKey({ scope: 'storefront', storefrontId });
    await new DynamoApiKeyRepository(cloud.tableName, documentClient).create(record);
    const sku = uniqueSku('CUR');
    await api('PUT', `/products/${sku}`, { key: ops, body: { ...validProduct, barcode: uniqueBarcode() } });
    const orderIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const placed = await api<{ orderId: string }>('POST', '/orders', {
        key: secret,
        headers: { 'idempotency-key': `${storefrontId}-${i}` },
        body: {
          customer: { id: `c-${i}`, email: `c${i}@example.com`, name: 'Cursor Tester' },
          items: [{ sku, quantity: 1 }],
          shippingAddress: { name: 'Cursor Tester', line1: '1 Page Road', city: 'Berlin', postalCode: '10115', country: 'DE' },
          shippingOption: 'standard',
          payment: { token: 'tok_visa' },
        },
      });
      expect(placed.status).toBe(202);
      orderIds.unshift(placed.body.orderId);
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct createdAt, so "newest first" is one order
    }
    return { key: secret, storefrontId, orderIds };
  }

  it('pages through a list with nextCursor, without gaps or repeats', async () => {
    const { key, orderIds } = await storefrontWithOrders();

    const first = await api<Page>('GET', '/orders?limit=2', { key });
    const second = await api<Page>('GET', `/orders?limit=2&cursor=${first.body.nextCursor}`, { key });

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect([...first.body.items, ...second.body.items].map((order) => order.orderId)).toEqual(orderIds);
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses a cursor the API did not make with 422, where a DynamoDB key used to be a 500', async () => {
    refusedCursor(await api('GET', '/orders?cursor=eyJwayI6bnVsbH0', { key: storefront }));
    refusedCursor(await api('GET', '/orders?cursor=not-a-cursor', { key: storefront }));
    refusedCursor(await api('GET', '/fulfillment/tasks?cursor=eyJwayI6bnVsbH0', { key: cloud.keys.warehouse }));
  });

  it("refuses another list's cursor: another storefront's, another filter's, another route's, a tampered one", async () => {
    const { key, storefrontId } = await storefrontWithOrders();
    const cursor = (await api<Page>('GET', '/orders?limit=1', { key })).body.nextCursor as string;
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    // A cursor names its list by a tag; one changed to name another list is refused like any foreign one.
    const tampered = Buffer.from(JSON.stringify({ ...decoded, list: 'AAAAAAAAAAAAAAAA' })).toString('base64url');

    refusedCursor(await api('GET', `/orders?cursor=${cursor}`, { key: storefront }));
    refusedCursor(await api('GET', `/orders?status=REJECTED&cursor=${cursor}`, { key }));
    refusedCursor(await api('GET', `/fulfillment/tasks?cursor=${cursor}`, { key: cloud.keys.warehouse }));
    refusedCursor(await api('GET', `/orders?cursor=${tampered}`, { key }));
    // The same list read by ops continues where the storefront's page ended.
    expect((await api('GET', `/orders?storefrontId=${storefrontId}&limit=1&cursor=${cursor}`, { key: ops })).status).toBe(200);
  });
});
