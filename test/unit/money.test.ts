import { describe, expect, it } from 'vitest';
import { CurrencyMismatch } from '../../lambdas/domain/errors.js';
import { addMoney, Money, money, multiplyMoney, percentageOf, sumMoney } from '../../lambdas/domain/money.js';

describe('money', () => {
  it('adds amounts of one currency in minor units', () => {
    expect(addMoney(money(1999, 'EUR'), money(1, 'EUR'))).toEqual({ amount: 2000, currency: 'EUR' });
  });

  it('refuses to add different currencies', () => {
    expect(() => addMoney(money(1, 'EUR'), money(1, 'USD'))).toThrow(CurrencyMismatch);
  });

  it('refuses fractional minor units', () => {
    expect(() => money(10.5, 'EUR')).toThrow(RangeError);
    expect(Money.safeParse({ amount: 10.5, currency: 'EUR' }).success).toBe(false);
  });

  it('multiplies by integer quantities only', () => {
    expect(multiplyMoney(money(333, 'EUR'), 3)).toEqual(money(999, 'EUR'));
    expect(() => multiplyMoney(money(333, 'EUR'), 1.5)).toThrow(RangeError);
  });

  it('rounds percentages half away from zero', () => {
    expect(percentageOf(money(1005, 'EUR'), 1000)).toEqual(money(101, 'EUR')); // 100.5 → 101
    expect(percentageOf(money(1004, 'EUR'), 1000)).toEqual(money(100, 'EUR')); // 100.4 → 100
    expect(percentageOf(money(999, 'EUR'), 1900)).toEqual(money(190, 'EUR')); // 189.81 → 190
  });

  it('sums an empty list to zero in the given currency', () => {
    expect(sumMoney([], 'GBP')).toEqual(money(0, 'GBP'));
    expect(sumMoney([money(1, 'GBP'), money(2, 'GBP')], 'GBP')).toEqual(money(3, 'GBP'));
  });

  it('accepts only ISO-shaped currency codes', () => {
    expect(Money.safeParse({ amount: 1, currency: 'eur' }).success).toBe(false);
    expect(Money.safeParse({ amount: -1, currency: 'EUR' }).success).toBe(false);
  });
});
