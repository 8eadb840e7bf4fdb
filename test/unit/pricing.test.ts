import { describe, expect, it } from 'vitest';
import { money } from '../../lambdas/domain/money.js';
import { type CatalogEntry, priceOrder, quoteCart, shippingCost } from '../../lambdas/domain/pricing.js';

const catalog = new Map<string, CatalogEntry>([
  ['MUG', { sku: 'MUG', name: 'Mug', price: money(1499, 'EUR'), weightGrams: 420, barcode: '4006381333931' }],
  ['TEE', { sku: 'TEE', name: 'Tee', price: money(2499, 'EUR'), weightGrams: 180, barcode: '96385074' }],
  ['USD-CAP', { sku: 'USD-CAP', name: 'Cap', price: money(1500, 'USD'), weightGrams: 100, barcode: '036000291452' }],
]);

describe('pricing', () => {
  it('prices lines from the catalog and adds shipping and destination tax', () => {
    const priced = priceOrder(
      [
        { sku: 'MUG', quantity: 2 },
        { sku: 'TEE', quantity: 1 },
      ],
      catalog,
      'standard',
      'DE',
    );

    expect(priced.items).toEqual([
      { sku: 'MUG', name: 'Mug', quantity: 2, unitPrice: money(1499, 'EUR'), lineTotal: money(2998, 'EUR') },
      { sku: 'TEE', name: 'Tee', quantity: 1, unitPrice: money(2499, 'EUR'), lineTotal: money(2499, 'EUR') },
    ]);
    expect(priced.subtotal).toEqual(money(5497, 'EUR'));
    expect(priced.weightGrams).toBe(1020);
    expect(priced.shipping).toEqual(money(595, 'EUR')); // 4.95 + one started kilogram over the first
    expect(priced.tax).toEqual(money(1157, 'EUR')); // 19 % of 60.92 = 11.5748
    expect(priced.total).toEqual(money(5497 + 595 + 1157, 'EUR'));
  });

  it('charges no tax where the table has no rate', () => {
    expect(priceOrder([{ sku: 'MUG', quantity: 1 }], catalog, 'express', 'US').tax).toEqual(money(0, 'EUR'));
  });

  it('prices shipping by option and started kilogram', () => {
    expect(shippingCost('standard', 1000, 'EUR')).toEqual(money(495, 'EUR'));
    expect(shippingCost('express', 1001, 'EUR')).toEqual(money(1195, 'EUR'));
    expect(shippingCost('overnight', 3500, 'EUR')).toEqual(money(1995 + 3 * 300, 'EUR'));
  });

  it('refuses unknown SKUs with their field paths', () => {
    expect(() =>
      priceOrder(
        [
          { sku: 'MUG', quantity: 1 },
          { sku: 'NOPE', quantity: 1 },
        ],
        catalog,
        'standard',
        'DE',
      ),
    ).toThrow(expect.objectContaining({ code: 'UNKNOWN_SKU', details: [{ path: 'body.items.1.sku', message: 'no product NOPE' }] }));
  });

  it('refuses to mix currencies in one order', () => {
    expect(() =>
      priceOrder(
        [
          { sku: 'MUG', quantity: 1 },
          { sku: 'USD-CAP', quantity: 1 },
        ],
        catalog,
        'standard',
        'DE',
      ),
    ).toThrow(/different currencies/);
  });

  it('quotes each shipping option at what priceOrder charges for it, with the goods-only tax on top and a promised date', () => {
    const lines = [
      { sku: 'MUG', quantity: 2 },
      { sku: 'TEE', quantity: 1 },
    ];

    // Friday: one handling day and the transit days, Monday to Friday.
    const quote = quoteCart(lines, catalog, 'DE', new Date('2026-11-27T10:00:00Z'));

    expect(quote).toMatchObject({ currency: 'EUR', subtotal: money(5497, 'EUR'), tax: money(1044, 'EUR') }); // 19 % of 54.97
    expect(quote.options.map((option) => [option.shippingOption, option.estimatedDeliveryDate])).toEqual([
      ['standard', '2026-12-03'],
      ['express', '2026-12-02'],
      ['overnight', '2026-12-01'],
    ]);
    for (const option of quote.options) {
      const priced = priceOrder(lines, catalog, option.shippingOption, 'DE');
      expect(option).toMatchObject({ shipping: priced.shipping, tax: priced.tax, total: priced.total });
    }
  });

  it('quotes an unknown SKU as priceOrder refuses it', () => {
    expect(() => quoteCart([{ sku: 'NOPE', quantity: 1 }], catalog, 'DE', new Date())).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_SKU' }),
    );
  });
});
