import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { api, cloud, documentClient, uniqueBarcode, uniqueSku } from './client.js';

const { ops, storefront, warehouse } = cloud.keys;
const product = (overrides: Record<string, unknown> = {}) => ({
  name: 'Test kettle',
  price: { amount: 4999, currency: 'EUR' },
  barcode: uniqueBarcode(),
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
  it('answers /health without a key, saying the local cloud runs the sandbox gateway', async () => {
    const response = await api('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', payments: 'sandbox' });
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

  it('answers an unknown route with 404 (errors.test.ts checks its envelope)', async () => {
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

describe('a barcode belongs to one SKU', () => {
  type Refusal = { error: { code: string; details: { path: string; message: string }[] } };
  const put = (sku: string, barcode: string) => api<Refusal>('PUT', `/products/${sku}`, { key: ops, body: product({ barcode }) });

  it("answers another SKU's barcode with 409 BARCODE_IN_USE, also in its GTIN-14 form, and stores nothing", async () => {
    const barcode = uniqueBarcode();
    const owner = uniqueSku();
    expect((await put(owner, barcode)).status).toBe(200);
    const other = uniqueSku();

    const same = await put(other, barcode);
    const asGtin14 = await put(other, `0${barcode}`);

    expect(same.status).toBe(409);
    expect(same.body.error).toMatchObject({
      code: 'BARCODE_IN_USE',
      details: [{ path: 'body.barcode', message: expect.stringContaining(owner) }],
    });
    expect(asGtin14.body.error.code).toBe('BARCODE_IN_USE');
    expect((await api('GET', `/products/${other}`, { key: ops })).status).toBe(404);
    expect((await api('GET', `/inventory/${other}`, { key: ops })).status).toBe(404);
  });

  it("keeps the seeded mug's barcode to the mug", async () => {
    const response = await put(uniqueSku('APRON'), '4006381333931');
    expect(response.body.error.code).toBe('BARCODE_IN_USE');
  });

  it('lets a product keep its barcode, and frees the old one when it takes another', async () => {
    const [first, second] = [uniqueBarcode(), uniqueBarcode()];
    const sku = uniqueSku();
    await put(sku, first);

    const again = await put(sku, first);
    const changed = await put(sku, second);

    expect([again.status, changed.status]).toEqual([200, 200]);
    expect((await put(uniqueSku(), first)).status).toBe(200);
    expect((await put(uniqueSku(), second)).body.error.code).toBe('BARCODE_IN_USE');
  });

  it('gives a new barcode to one of ten SKUs racing for it', async () => {
    const barcode = uniqueBarcode();
    const skus = Array.from({ length: 10 }, () => uniqueSku('RACE'));

    const responses = await Promise.all(skus.map((sku) => put(sku, barcode)));

    const winners = skus.filter((_, i) => responses[i]?.status === 200);
    expect(winners).toHaveLength(1);
    expect(responses.filter((response) => response.body.error?.code === 'BARCODE_IN_USE')).toHaveLength(9);
    const stored = await Promise.all(skus.map(async (sku) => (await api('GET', `/products/${sku}`, { key: ops })).status));
    expect(stored.filter((status) => status === 200)).toHaveLength(1);
  });

  it('leaves one claim, for the barcode that won, when one SKU is PUT with five barcodes at once', async () => {
    const sku = uniqueSku('FLIP');
    await put(sku, uniqueBarcode());
    const barcodes = Array.from({ length: 5 }, () => uniqueBarcode());

    const responses = await Promise.all(barcodes.map((barcode) => put(sku, barcode)));
    const final = (await api<{ barcode: string }>('GET', `/products/${sku}`, { key: ops })).body.barcode;

    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    // Every barcode but the final one is free again: another SKU can take it.
    const takers = await Promise.all(barcodes.map(async (barcode) => (await put(uniqueSku(), barcode)).status));
    expect(takers).toEqual(barcodes.map((barcode) => (barcode === final ? 409 : 200)));
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
