import * as z from 'zod';
import { CurrencyMismatch } from './errors.js';

/** Money is integer minor units plus an ISO 4217 currency code; never a float. */
export const Money = z
  .object({
    amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  })
  .meta({ id: 'Money', description: 'Integer minor units and an ISO 4217 currency code.' });
export type Money = z.infer<typeof Money>;

export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`Money amount must be an integer, got ${amount}`);
  return { amount, currency };
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new CurrencyMismatch(a.currency, b.currency);
  return money(a.amount + b.amount, a.currency);
}

export function multiplyMoney(m: Money, factor: number): Money {
  if (!Number.isInteger(factor)) throw new RangeError(`Quantity must be an integer, got ${factor}`);
  return money(m.amount * factor, m.currency);
}

/** Applies a rate in basis points (1/100 of a percent), rounding half away from zero like most tax authorities. */
export function percentageOf(m: Money, basisPoints: number): Money {
  const exact = (m.amount * basisPoints) / 10_000;
  return money(Math.sign(exact) * Math.round(Math.abs(exact)), m.currency);
}

export function sumMoney(items: readonly Money[], currency: string): Money {
  return items.reduce(addMoney, money(0, currency));
}
