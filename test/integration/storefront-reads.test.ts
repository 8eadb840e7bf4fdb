import { describe, expect, it } from 'vitest';
import { promisedDeliveryDate } from '../../lambdas/domain/shipping.js';
import { api, cloud, uniqueBarcode } from './client.js';

const { ops, storefront } = cloud.keys;
type Money = { amount: number; currency: string };
type Product = { sku: string; available: number };
type ProductPage = { items: Product[]; nextCursor: string | null };
type Quote = {
  currency: string;
  subtotal: Money;
  tax: Money;
  options: { shippingOption: string; shipping: Money; tax: Money; total: Money; estimatedDeliveryDate: string }[];
};

let made = 0;
/**
 * A product whose SKU starts with a digit: other tests' SKUs start with letters, so these sort first in the catalog
 * (an in-memory table per run), and a page of the catalog's start is this test's own.
 */
async function product(options: { stock?: number; price?: number; weightGrams?: number } = {}): Promise<string> {
  const sku = `0CAT-${process.pid}-${Date.now().toString(36)}-${String(++made).padStart(3, '0')}`;
  const body = {
    name: `Catalog ${sku}`,
    price: { amount: options.price ?? 1250, currency: 'EUR' },
    barcode: uniqueBarcode(),
    weightGrams: options.weightGrams ?? 300,
  };
  expect((await api('PUT', `/products/${sku}`, { key: ops, body })).status).toBe(200);
  if (options.stock) await api('POST', `/inventory/${sku}/adjustments`, { key: ops, body: { delta: options.stock, reason: 'test' } });
  return sku;
}

describe('GET /products', () => {
  it('lists the catalog in SKU order, each product exactly as GET /products/{sku} shows it, page by page', async () => {
    // Arrange: three products at the start of the catalog, one in stock.
    const skus = [await product({ stock: 7 }), await product(), await product()];

    // Act
    const first = await api<ProductPage>('GET', '/products?limit=2', { key: storefront });
    const second = await api<ProductPage>('GET', `/products?limit=2&cursor=${first.body.nextCursor}`, { key: ops });

    // Assert
    expect(first.status).toBe(200);
    expect(first.body.items.map((item) => item.sku)).toEqual(skus.slice(0, 2));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(second.body.items[0]?.sku).toBe(skus[2]);
    for (const item of [...first.body.items, ...second.body.items.slice(0, 1)]) {
      expect(item).toEqual((await api('GET', `/products/${item.sku}`, { key: storefront })).body);
    }
    expect(first.body.items[0]?.available).toBe(7);
  });

  it('walks the whole catalog to a null cursor, sorted and without repeats', async () => {
    const sku = await product();
    const seen: string[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null && pages < 100; pages++) {
      const page: ProductPage = (await api<ProductPage>('GET', `/products?limit=100&cursor=${cursor}`, { key: ops })).body;
      seen.push(...page.items.map((item) => item.sku));
      cursor = page.nextCursor;
    }
    expect(cursor).toBeNull();
    expect(seen).toContain(sku);
    expect(seen).toEqual([...new Set(seen)].sort());
  });

  it('refuses a cursor it did not give out, and keys without the storefront or ops scope', async () => {
    const forged = Buffer.from(JSON.stringify({ v: 1, list: 'AAAAAAAAAAAAAAAA', p: { sku: 'MUG-001' } })).toString('base64url');

    const bad = await api<{ error: { code: string; details: { path: string }[] } }>('GET', `/products?cursor=${forged}`, { key: ops });
    const warehouse = await api('GET', '/products', { key: cloud.keys.warehouse });

    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0]?.path).toBe('query.cursor');
    expect(warehouse.status).toBe(403);
  });
});

describe('POST /quotes', () => {
  const address = { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'Berlin', postalCode: '10115', country: 'DE' };

  it('quotes every shipping option at the total POST /orders then charges for it', async () => {
    // Arrange: a cart over a kilogram (shipping per started kilogram) to a taxed country.
    const mug = await product({ stock: 20, price: 1999, weightGrams: 700 });
    const tea = await product({ stock: 20, price: 450, weightGrams: 250 });
    const items = [
      { sku: mug, quantity: 2 },
      { sku: tea, quantity: 3 },
    ];

    // Act
    const quote = await api<Quote>('POST', '/quotes', { key: storefront, body: { items, shippingAddress: address } });
    const placed = await Promise.all(
      (quote.body.options ?? []).map(async (option) => {
        const id = `quote-${process.pid}-${Date.now().toString(36)}-${option.shippingOption}`;
        const order = await api<{ orderId: string; total: Money }>('POST', '/orders', {
          key: storefront,
          headers: { 'idempotency-key': id },
          body: {
            customer: { id, email: `${id}@example.com`, name: 'Ada Lovelace' },
            items,
            shippingAddress: address,
            shippingOption: option.shippingOption,
            payment: { token: 'tok_visa' },
          },
        });
        const read = await api<{ subtotal: Money; shipping: Money; tax: Money; total: Money }>('GET', `/orders/${order.body.orderId}`, {
          key: storefront,
        });
        return { option, total: order.body.total, order: read.body };
      }),
    );

    // Assert
    expect(quote.status).toBe(200);
    expect(quote.body).toMatchObject({ currency: 'EUR', subtotal: { amount: 2 * 1999 + 3 * 450, currency: 'EUR' } });
    // 19 % on the goods alone.
    expect(quote.body.tax).toEqual({ amount: Math.round((2 * 1999 + 3 * 450) * 0.19), currency: 'EUR' });
    expect(quote.body.options.map((option) => option.shippingOption)).toEqual(['standard', 'express', 'overnight']);
    for (const { option, total, order } of placed) {
      expect(total, option.shippingOption).toEqual(option.total);
      expect(order, option.shippingOption).toMatchObject({ subtotal: quote.body.subtotal, shipping: option.shipping, tax: option.tax });
      expect(option.total.amount).toBe(quote.body.subtotal.amount + option.shipping.amount + option.tax.amount);
      expect(option.estimatedDeliveryDate).toBe(promisedDeliveryDate(option.shippingOption as 'standard', new Date()));
    }
    const totals = placed.map(({ option }) => option.total.amount);
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
  });

  it('needs only the country of the address, and checks the other fields when given', async () => {
    const sku = await product({ stock: 1 });

    const countryOnly = await api<Quote>('POST', '/quotes', {
      key: storefront,
      body: { items: [{ sku, quantity: 1 }], shippingAddress: { country: 'US' } },
    });
    const blankCity = await api<{ error: { details: { path: string }[] } }>('POST', '/quotes', {
      key: storefront,
      body: { items: [{ sku, quantity: 1 }], shippingAddress: { country: 'DE', city: ' ' } },
    });

    expect(countryOnly.status).toBe(200);
    // No tax for a country without a listed rate.
    expect(countryOnly.body.tax.amount).toBe(0);
    expect(blankCity.status).toBe(422);
    expect(blankCity.body.error.details.map((detail) => detail.path)).toEqual(['body.shippingAddress.city']);
  });

  it('answers an unknown SKU with 422 UNKNOWN_SKU naming the line, as POST /orders does, and refuses ops keys', async () => {
    const sku = await product({ stock: 1 });
    const items = [
      { sku, quantity: 1 },
      { sku: 'NO-SUCH-SKU-EVER', quantity: 1 },
    ];

    const unknown = await api<{ error: { code: string; details: { path: string }[] } }>('POST', '/quotes', {
      key: storefront,
      body: { items, shippingAddress: address },
    });
    const byOps = await api('POST', '/quotes', { key: ops, body: { items: [{ sku, quantity: 1 }], shippingAddress: address } });

    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('UNKNOWN_SKU');
    expect(unknown.body.error.details).toEqual([{ path: 'body.items.1.sku', message: 'no product NO-SUCH-SKU-EVER' }]);
    expect(byOps.status).toBe(403);
  });
});
