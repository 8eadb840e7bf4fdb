import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareLedger,
  csvHeader,
  csvRow,
  daysBetween,
  expectedLedger,
  exportPage,
  LedgerByOrder,
  type LedgerLine,
  type LedgerMovement,
  type LedgerOrderImage,
  type LedgerStore,
  LedgerTotals,
  ledgerMovements,
  type MovementFilter,
  movementMatches,
} from '../../lambdas/domain/ledger.js';

const eur = (amount: number) => ({ amount, currency: 'EUR' });

function order(overrides: Partial<LedgerOrderImage> = {}): LedgerOrderImage {
  return {
    orderId: 'ord_ledger0001',
    items: [
      { sku: 'MUG-001', lineTotal: eur(2500) },
      { sku: 'APRON-1', lineTotal: eur(1990) },
    ],
    shipping: eur(390),
    tax: eur(935),
    total: eur(5815),
    ...overrides,
  };
}
const captured = (image: LedgerOrderImage, at = '2026-11-27T10:00:00.000Z') => ({
  ...image,
  capture: { captureId: 'cap_1', amount: image.total, at },
});

/** The ledger store as a map of days to movements, for the export's paging logic. */
class MemoryLedger implements LedgerStore {
  readonly days = new Map<string, Map<string, LedgerLine[]>>();
  async put(movement: LedgerMovement) {
    const day = this.days.get(movement.day) ?? new Map();
    day.set(movement.name, movement.lines);
    this.days.set(movement.day, day);
  }
  async *movements(day: string, filter?: MovementFilter) {
    const names = [...(this.days.get(day)?.keys() ?? [])].sort().filter((name) => movementMatches(name, filter));
    for (const name of names) yield { name, lines: this.days.get(day)?.get(name) ?? [] };
  }
}

describe('ledger movements', () => {
  it('books the sale when the capture is recorded: a line per order line, shipping and tax, summing to the total', () => {
    const [sale, ...rest] = ledgerMovements(order(), captured(order()));
    expect(rest).toEqual([]);
    expect(sale?.name).toBe('ord_ledger0001.sale');
    expect(sale?.day).toBe('2026-11-27');
    expect(sale?.lines.map((line) => [line.entryId, line.type, line.amount])).toEqual([
      ['ord_ledger0001:SALE:MUG-001', 'SALE', 2500],
      ['ord_ledger0001:SALE:APRON-1', 'SALE', 1990],
      ['ord_ledger0001:SHIPPING', 'SHIPPING', 390],
      ['ord_ledger0001:TAX', 'TAX', 935],
    ]);
    expect(sale?.lines.reduce((sum, line) => sum + line.amount, 0)).toBe(5815);
    // No PII: a line names the order, never the customer.
    expect(Object.keys(sale?.lines[0] ?? {}).sort()).toEqual(['amount', 'currency', 'entryId', 'occurredAt', 'orderId', 'type']);
  });

  it('books each refund once, when it first appears, as a negative line on its own day', () => {
    const paid = captured(order());
    const refunded = { ...paid, refunds: { re_1: { amount: eur(1000), at: '2026-11-28T09:00:00.000Z' } } };
    const again = { ...refunded, refunds: { ...refunded.refunds, re_2: { amount: eur(500), at: '2026-11-29T09:00:00.000Z' } } };
    expect(ledgerMovements(paid, refunded)).toEqual([
      {
        name: 'ord_ledger0001.refund.re_1',
        day: '2026-11-28',
        lines: [
          {
            entryId: 'ord_ledger0001:REFUND:re_1',
            orderId: 'ord_ledger0001',
            type: 'REFUND',
            amount: -1000,
            currency: 'EUR',
            occurredAt: '2026-11-28T09:00:00.000Z',
          },
        ],
      },
    ]);
    expect(ledgerMovements(refunded, again).map((movement) => movement.name)).toEqual(['ord_ledger0001.refund.re_2']);
    // A change that moves no money (a status write) books nothing; nor does an unpaid order.
    expect(ledgerMovements(again, { ...again })).toEqual([]);
    expect(ledgerMovements(undefined, order())).toEqual([]);
  });

  it('is deterministic: the same change always gives the same movements, and zero amounts make no line', () => {
    const free = order({ shipping: eur(0), total: eur(5425) });
    expect(ledgerMovements(free, captured(free))).toEqual(ledgerMovements(free, captured(free)));
    expect(ledgerMovements(free, captured(free))[0]?.lines.map((line) => line.type)).toEqual(['SALE', 'SALE', 'TAX']);
  });

  it('sums, over any order life, to what the customer paid net of refunds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 9000 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 4 }),
        (lineTotals, shipping, tax, refundAmounts) => {
          const subtotal = lineTotals.reduce((a, b) => a + b, 0);
          const image = order({
            items: lineTotals.map((amount, i) => ({ sku: `SKU-${i}`, lineTotal: eur(amount) })),
            shipping: eur(shipping),
            tax: eur(tax),
            total: eur(subtotal + shipping + tax),
          });
          // The order's life as the stream sees it: captured, then refunded step by step.
          const states: LedgerOrderImage[] = [image, captured(image)];
          const refunds: NonNullable<LedgerOrderImage['refunds']> = {};
          refundAmounts.forEach((amount, i) => {
            refunds[`re_${i}`] = { amount: eur(amount), at: '2026-11-28T00:00:00.000Z' };
            states.push({ ...captured(image), refunds: { ...refunds } });
          });
          const lines = states.slice(1).flatMap((state, i) => ledgerMovements(states[i], state).flatMap((movement) => movement.lines));
          const paid = image.total.amount - refundAmounts.reduce((a, b) => a + b, 0);
          expect(lines.reduce((sum, line) => sum + line.amount, 0)).toBe(paid);
          expect(new Set(lines.map((line) => line.entryId)).size).toBe(lines.length);
        },
      ),
    );
  });
});

describe('ledger totals and exports', () => {
  it('adds up orders, gross, refunds and net per currency', () => {
    const totals = new LedgerTotals();
    for (const movement of [
      ...ledgerMovements(undefined, captured(order())),
      ...ledgerMovements(undefined, captured(order({ orderId: 'ord_ledger0002', total: eur(5815) }))),
    ])
      for (const line of movement.lines) totals.add(line);
    totals.add({
      entryId: 'x',
      orderId: 'ord_ledger0002',
      type: 'REFUND',
      amount: -815,
      currency: 'EUR',
      occurredAt: '2026-11-28T00:00:00.000Z',
    });
    totals.add({ entryId: 'y', orderId: 'ord_usd', type: 'SALE', amount: 100, currency: 'USD', occurredAt: '2026-11-28T00:00:00.000Z' });
    expect(totals.summary()).toEqual([
      { currency: 'EUR', orders: 2, gross: 11630, refunds: 815, net: 10815 },
      { currency: 'USD', orders: 1, gross: 100, refunds: 0, net: 100 },
    ]);
  });

  it('pages an export by whole movements across days, and resumes exactly where a page ended', async () => {
    const store = new MemoryLedger();
    for (let n = 0; n < 7; n++) {
      const image = order({ orderId: `ord_ledger${String(n).padStart(4, '0')}` });
      for (const movement of ledgerMovements(undefined, captured(image, `2026-11-${n < 4 ? '27' : '28'}T10:00:00.000Z`)))
        await store.put(movement);
    }
    const range = { from: '2026-11-26', to: '2026-11-29' };
    const seen: string[] = [];
    let position: Awaited<ReturnType<typeof exportPage>>['next'];
    let pages = 0;
    do {
      const page = await exportPage(store, range, 6, position);
      seen.push(...page.lines.map((line) => line.entryId));
      position = page.next;
      pages++;
    } while (position);
    expect(seen).toHaveLength(7 * 4);
    expect(new Set(seen).size).toBe(seen.length);
    // Two movements (8 lines) reach the limit of 6: pages of 2, 2, 2 and 1 movements.
    expect(pages).toBe(4);
  });

  it('pages one order’s movements only, when asked for its orderId', async () => {
    const store = new MemoryLedger();
    for (const orderId of ['ord_ledger0001', 'ord_ledger00010', 'ord_ledger0002'])
      for (const movement of ledgerMovements(undefined, captured(order({ orderId })))) await store.put(movement);
    const page = await exportPage(store, { from: '2026-11-27', to: '2026-11-27', orderId: 'ord_ledger0001' }, 100);
    expect(page.next).toBeUndefined();
    expect(page.lines.length).toBeGreaterThan(0);
    expect(new Set(page.lines.map((line) => line.orderId))).toEqual(new Set(['ord_ledger0001']));
  });

  it('writes CSV with the contract’s header and quotes what needs quoting', () => {
    expect(csvHeader()).toBe('entryId,orderId,type,amount,currency,occurredAt\n');
    expect(
      csvRow({
        entryId: 'ord_1:SALE:A,"B"',
        orderId: 'ord_1',
        type: 'SALE',
        amount: 5,
        currency: 'EUR',
        occurredAt: '2026-11-27T00:00:00.000Z',
      }),
    ).toBe('"ord_1:SALE:A,""B""",ord_1,SALE,5,EUR,2026-11-27T00:00:00.000Z\n');
    expect(daysBetween('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });
});

describe('ledger reconciliation against the orders', () => {
  const paidOrder = (
    orderId: string,
    at: string,
    refunds: Record<string, { amount: { amount: number; currency: string }; at: string }> = {},
  ) => ({
    orderId,
    total: eur(5815),
    capture: { at },
    refunds,
  });

  it('expects an order’s sale and refunds only when they happened in the range', () => {
    const order = paidOrder('ord_a', '2026-10-31T23:59:00.000Z', {
      re_1: { amount: eur(1000), at: '2026-11-02T00:00:00.000Z' },
      re_2: { amount: eur(15), at: '2026-12-01T00:00:00.000Z' },
    });
    expect(expectedLedger(order, '2026-11-01', '2026-11-30')).toEqual({ currency: 'EUR', paid: 0, refunded: -1000 });
    expect(expectedLedger(order, '2026-10-01', '2026-10-31')).toEqual({ currency: 'EUR', paid: 5815, refunded: 0 });
    expect(expectedLedger(order, '2026-09-01', '2026-09-30')).toBeUndefined();
  });

  it('lists every order whose ledger differs from the order, and nothing when they agree', () => {
    const byOrder = new LedgerByOrder();
    for (const movement of ledgerMovements(undefined, captured(order({ orderId: 'ord_ok' }))))
      for (const line of movement.lines) byOrder.add(line);
    for (const movement of ledgerMovements(undefined, captured(order({ orderId: 'ord_short' }))))
      for (const line of movement.lines.slice(1)) byOrder.add(line);
    const expected = new Map([
      ['ord_ok', { currency: 'EUR', paid: 5815, refunded: 0 }],
      ['ord_short', { currency: 'EUR', paid: 5815, refunded: 0 }],
      ['ord_missing', { currency: 'EUR', paid: 100, refunded: 0 }],
    ]);
    expect(compareLedger(byOrder.orders, expected).map((mismatch) => mismatch.orderId)).toEqual(['ord_missing', 'ord_short']);
    expect(compareLedger(byOrder.orders, new Map([...expected].filter(([id]) => id === 'ord_ok'))).map((m) => m.orderId)).toEqual([
      'ord_short',
    ]);
  });
});
