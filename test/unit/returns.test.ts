import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Money, money } from '../../lambdas/domain/money.js';
import type { StoredOrder } from '../../lambdas/domain/orders.js';
import { priceOrder } from '../../lambdas/domain/pricing.js';
import {
  addReturned,
  checkReturnable,
  QueuedReturnEvent,
  ReturnEvent,
  type refundDueFor,
  returnRefund,
} from '../../lambdas/domain/returns.js';

type PricedOrder = Parameters<typeof refundDueFor>[0];

/** An order of the given lines (price, quantity), shipping and tax, priced like nothing in particular. */
function pricedOrder(lines: { price: number; quantity: number }[], shipping: number, tax: number): PricedOrder {
  const items = lines.map((line, i) => ({
    sku: `SKU-${i}`,
    name: `Item ${i}`,
    quantity: line.quantity,
    unitPrice: money(line.price, 'EUR'),
    lineTotal: money(line.price * line.quantity, 'EUR'),
  }));
  const subtotal = items.reduce((sum, item) => sum + item.lineTotal.amount, 0);
  return {
    items,
    subtotal: money(subtotal, 'EUR'),
    shipping: money(shipping, 'EUR'),
    tax: money(tax, 'EUR'),
    total: money(subtotal + shipping + tax, 'EUR'),
  };
}

const noneReturned = (order: PricedOrder) => Object.fromEntries(order.items.map((line) => [line.sku, 0]));

/** Refunds of a sequence of returns, each planned on what the ones before it returned. */
function refundsOf(order: PricedOrder, returns: { sku: string; quantity: number }[][]): Money[] {
  let returned = noneReturned(order);
  return returns.map((lines) => {
    const refund = returnRefund(order, returned, lines);
    returned = addReturned(returned, lines);
    return refund;
  });
}

describe('a return’s refund', () => {
  it('is the lines’ totals plus their share of the tax, which is charged on goods and shipping', () => {
    // Arrange: 2 × 10.00 + 1 × 5.00, shipping 4.95, 21 % tax on 29.95 = 6.29 (rounded).
    const order = pricedOrder(
      [
        { price: 1000, quantity: 2 },
        { price: 500, quantity: 1 },
      ],
      495,
      629,
    );

    // Act
    const one = returnRefund(order, noneReturned(order), [{ sku: 'SKU-0', quantity: 1 }]);

    // Assert: 10.00 + round(6.29 × 1000 / 2995) = 10.00 + 2.10
    expect(one).toEqual(money(1210, 'EUR'));
  });

  it('refunds shipping and what is left of the tax with the return that makes the order whole', () => {
    const order = pricedOrder(
      [
        { price: 1000, quantity: 2 },
        { price: 500, quantity: 1 },
      ],
      495,
      629,
    );

    const refunds = refundsOf(order, [[{ sku: 'SKU-0', quantity: 1 }], [{ sku: 'SKU-1', quantity: 1 }], [{ sku: 'SKU-0', quantity: 1 }]]);

    expect(refunds.map((refund) => refund.amount)).toEqual([1210, 605, 1000 + 495 + (629 - 210 - 105)]);
    expect(refunds.reduce((sum, refund) => sum + refund.amount, 0)).toBe(order.total.amount);
  });

  it('is the whole total for a return of everything at once, priced as POST /orders prices', () => {
    const catalog = new Map([
      ['MUG', { sku: 'MUG', name: 'Mug', price: money(1499, 'EUR'), weightGrams: 400, barcode: '4006381333931' }],
      ['TEA', { sku: 'TEA', name: 'Tea', price: money(333, 'EUR'), weightGrams: 100, barcode: '4006381333948' }],
    ]);
    const priced = priceOrder(
      [
        { sku: 'MUG', quantity: 3 },
        { sku: 'TEA', quantity: 7 },
      ],
      catalog,
      'express',
      'NL',
    );

    const refund = returnRefund(priced, { MUG: 0, TEA: 0 }, [
      { sku: 'MUG', quantity: 3 },
      { sku: 'TEA', quantity: 7 },
    ]);

    expect(refund).toEqual(priced.total);
  });

  it('never adds up to more than the total, and to exactly the total once everything is returned, however the units are split', () => {
    const orders = fc.record({
      lines: fc.array(fc.record({ price: fc.integer({ min: 0, max: 100_000 }), quantity: fc.integer({ min: 1, max: 12 }) }), {
        minLength: 1,
        maxLength: 5,
      }),
      shipping: fc.integer({ min: 0, max: 5_000 }),
      taxRate: fc.integer({ min: 0, max: 2_700 }),
      seed: fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 1, maxLength: 60 }),
      stopAfter: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(orders, ({ lines, shipping, taxRate, seed, stopAfter }) => {
        const subtotal = lines.reduce((sum, line) => sum + line.price * line.quantity, 0);
        const order = pricedOrder(lines, shipping, Math.round(((subtotal + shipping) * taxRate) / 10_000));
        // Split every unit over returns, in an order the seed decides, each return taking 1–3 SKUs' units.
        const units = order.items.flatMap((line) => Array.from({ length: line.quantity }, () => line.sku));
        const returns: { sku: string; quantity: number }[][] = [];
        for (let i = 0; units.length; i++) {
          const take = units.splice((seed[i % seed.length] as number) % units.length, 1 + ((seed[(i + 1) % seed.length] as number) % 3));
          const lines = [...new Set(take)].map((sku) => ({ sku, quantity: take.filter((unit) => unit === sku).length }));
          returns.push(lines);
        }
        const done = stopAfter === undefined ? returns : returns.slice(0, stopAfter);

        const refunds = refundsOf(order, done);

        let sum = 0;
        for (const refund of refunds) {
          expect(refund.amount).toBeGreaterThanOrEqual(0);
          sum += refund.amount;
          expect(sum).toBeLessThanOrEqual(order.total.amount);
        }
        if (done.length === returns.length) expect(sum).toBe(order.total.amount);
      }),
      { numRuns: 500 },
    );
  });

  it('stays within a cent of the exact tax share for a return that leaves units behind', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 2, max: 20 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 0, max: 2_500 }),
        (price, quantity, shipping, rate) => {
          const tax = Math.round(((price * quantity + shipping) * rate) / 10_000);
          const order = pricedOrder([{ price, quantity }], shipping, tax);
          const refund = returnRefund(order, noneReturned(order), [{ sku: 'SKU-0', quantity: 1 }]);
          const exact = price + (tax * price) / (price * quantity + shipping);
          expect(Math.abs(refund.amount - exact)).toBeLessThanOrEqual(0.5);
        },
      ),
    );
  });
});

describe('whether units can be returned', () => {
  const order = {
    orderId: 'ord_test0001',
    status: 'DELIVERED',
    items: [{ sku: 'MUG', name: 'Mug', quantity: 2, unitPrice: money(100, 'EUR'), lineTotal: money(200, 'EUR') }],
  } as StoredOrder;

  it('refuses an order not delivered, a SKU not on the order and more units than are left, in that order', () => {
    expect(() => checkReturnable({ ...order, status: 'SHIPPED' }, {}, [{ sku: 'NOPE', quantity: 9 }])).toThrow(
      expect.objectContaining({ code: 'RETURN_NOT_ALLOWED' }),
    );
    expect(() => checkReturnable(order, {}, [{ sku: 'NOPE', quantity: 9 }])).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: [{ path: 'body.items.0.sku', message: 'is not on the order' }] }),
    );
    expect(() => checkReturnable(order, { MUG: 1 }, [{ sku: 'MUG', quantity: 2 }])).toThrow(
      expect.objectContaining({ code: 'RETURN_EXCEEDS_DELIVERED' }),
    );
    expect(() => checkReturnable(order, { MUG: 1 }, [{ sku: 'MUG', quantity: 1 }])).not.toThrow();
  });
});

describe('warehouse return events', () => {
  it('need a condition to be an inspection, and may not have one to be a receipt', () => {
    expect(ReturnEvent.safeParse({ eventId: 'e1', type: 'INSPECTED', condition: 'DAMAGED' }).success).toBe(true);
    expect(ReturnEvent.safeParse({ eventId: 'e1', type: 'RECEIVED' }).success).toBe(true);
    expect(ReturnEvent.safeParse({ eventId: 'e1', type: 'INSPECTED' }).error?.issues[0]?.path).toEqual(['condition']);
    expect(ReturnEvent.safeParse({ eventId: 'e1', type: 'RECEIVED', condition: 'RESELLABLE' }).error?.issues[0]?.path).toEqual([
      'condition',
    ]);
    expect(QueuedReturnEvent.safeParse({ returnId: 'ret_abcdefgh1', eventId: 'e1', type: 'RECEIVED' }).success).toBe(true);
  });
});
