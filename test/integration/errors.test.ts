import { describe, expect, it } from 'vitest';
import { DynamoApiKeyRepository } from '../../lambdas/adapters/api-key-repository.js';
import { generateApiKey } from '../../lambdas/domain/api-keys.js';
import { api, cloud, documentClient, uniqueSku } from './client.js';

const { ops, storefront } = cloud.keys;
type ErrorBody = { error: { code: string; message: string; details: { path: string; message: string }[]; requestId: string } };

const validProduct = { name: 'Lamp', price: { amount: 2599, currency: 'EUR' }, barcode: '4006381333931', weightGrams: 900 };

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
