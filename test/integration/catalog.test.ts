import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { gtinCheckDigit } from '../../lambdas/domain/gtin.js';
import { api, cloud, documentClient, uniqueSku } from './client.js';

const { ops, storefront, warehouse } = cloud.keys;
const product = (overrides: Record<string, unknown> = {}) => ({
  name: 'Test kettle',
  price: { amount: 4999, currency: 'EUR' },
  barcode: `400638133393${gtinCheckDigit('400638133393')}`,
  weightGrams: 1200,
  ...overrides,
});

async function createProduct(stock = 0): Promise<string> {
  const sku = uniqueSku();
  expect((await api('PUT', `/products/${sku}`, { key: ops, body: product() })).status).toBe(200);
  if (stock)
    expect((await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: stock, reason: 'test stock' } })).status).toBe(
      200,
    );
  return sku;
}

describe('health and docs', () => {
  it('answers /health without a key', async () => {
    const response = await api('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI 3.1 document generated from the schemas', async () => {
    const response = await api<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining(['/health', '/products/{sku}', '/inventory/{sku}', '/inventory/{sku}/adjustments']),
    );
    expect(response.body.paths['/products/{sku}']).toHaveProperty('put.requestBody');
  });

  it('answers an unknown route with the gateway 404', async () => {
    expect((await api('GET', '/no/such/route', { key: ops })).status).toBe(404);
  });
});

describe('products', () => {
  it('stores a product and serves it to storefronts with its available stock', async () => {
    const sku = uniqueSku();
    const put = await api('PUT', `/products/${sku}`, { key: ops, body: product() });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ sku, name: 'Test kettle', available: 0 });

    await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: 5, reason: 'received' } });
    const get = await api('GET', `/products/${sku}`, { key: storefront });

    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ sku, price: { amount: 4999, currency: 'EUR' }, weightGrams: 1200, available: 5 });
  });

  it('keeps stock and createdAt when a product is replaced', async () => {
    const sku = await createProduct(4);
    const first = await api('GET', `/products/${sku}`, { key: ops });

    const second = await api('PUT', `/products/${sku}`, { key: ops, body: product({ name: 'Renamed kettle' }) });

    expect(second.body).toMatchObject({ name: 'Renamed kettle', available: 4, createdAt: first.body.createdAt });
  });

  it('answers 404 with the error envelope for an unknown SKU', async () => {
    const response = await api<{ error: Record<string, unknown> }>('GET', `/products/${uniqueSku()}`, { key: storefront });
    expect(response.status).toBe(404);
    expect(response.body.error).toMatchObject({ code: 'NOT_FOUND', details: [], requestId: expect.any(String) });
  });
});

describe('inventory', () => {
  it('adds and removes stock and reports on-hand, reserved and available', async () => {
    const sku = await createProduct(10);

    const removed = await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: -3, reason: 'damaged in storage' } });
    const read = await api('GET', `/inventory/${sku}`, { key: warehouse });

    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ sku, onHand: 7, reserved: 0, available: 7 });
    expect(read.body).toEqual({ sku, onHand: 7, reserved: 0, available: 7 });
  });

  it('refuses an adjustment that would make stock negative, and changes nothing', async () => {
    const sku = await createProduct(2);

    const response = await api<{ error: { code: string } }>('POST', `/inventory/${sku}/adjustments`, {
      key: ops,
      body: { delta: -3, reason: 'too many' },
    });

    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect((await api('GET', `/inventory/${sku}`, { key: ops })).body).toMatchObject({ onHand: 2, available: 2 });
  });

  it('answers 404 when adjusting a SKU that is not in the catalog', async () => {
    const response = await api('POST', `/inventory/${uniqueSku()}/adjustments`, { key: ops, body: { delta: 1, reason: 'x' } });
    expect(response.status).toBe(404);
  });

  it('never lets concurrent adjustments drive available below zero', async () => {
    const sku = await createProduct(20);

    const responses = await Promise.all(
      Array.from({ length: 60 }, () => api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: -1, reason: 'race' } })),
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.filter((status) => status === 409)).toHaveLength(40);
    expect((await api('GET', `/inventory/${sku}`, { key: ops })).body).toEqual({ sku, onHand: 0, reserved: 0, available: 0 });
    // Every successful adjustment left exactly one audit record (the seed's +20 is the 21st).
    const { Items = [] } = await documentClient.send(
      new QueryCommand({
        TableName: cloud.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :adj)',
        ExpressionAttributeValues: { ':pk': `PRODUCT#${sku}`, ':adj': 'ADJUSTMENT#' },
      }),
    );
    expect(Items).toHaveLength(21);
  });
});
