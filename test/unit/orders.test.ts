import { describe, expect, it } from 'vitest';
import { PlaceOrderBody } from '../../lambdas/domain/orders.js';

describe('order placement input', () => {
  const valid = {
    customer: { id: 'c1', email: 'ada@example.com', name: 'Ada' },
    items: [{ sku: 'MUG-001', quantity: 1 }],
    shippingAddress: { name: 'Ada', line1: '1 Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
    shippingOption: 'standard',
    payment: { token: 'tok_visa' },
  };

  it('accepts a valid order', () => {
    expect(PlaceOrderBody.safeParse(valid).success).toBe(true);
  });

  it.each([
    ['no lines', { items: [] }],
    ['51 lines', { items: Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })) }],
    ['a quantity of 1000', { items: [{ sku: 'MUG-001', quantity: 1000 }] }],
    [
      'the same SKU twice',
      {
        items: [
          { sku: 'A', quantity: 1 },
          { sku: 'A', quantity: 2 },
        ],
      },
    ],
    ['a lower-case country', { shippingAddress: { ...valid.shippingAddress, country: 'de' } }],
    ['an unknown shipping option', { shippingOption: 'pigeon' }],
    ['a client-side price', { total: 1 }],
  ])('refuses %s', (_, change) => {
    expect(PlaceOrderBody.safeParse({ ...valid, ...change }).success).toBe(false);
  });
});
