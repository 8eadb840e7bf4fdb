import { describe, expect, it } from 'vitest';
import type { OrderView } from '../../local/demo/actors.js';
import type { Journey } from '../../local/demo/journey.js';
import { PATHS, planRun } from '../../local/demo/plan.js';
import { judge, percentile, stageTimings } from '../../local/demo/summary.js';

const order = (orderId: string, status: string, statusReason?: string, timeline: [string, number][] = []): OrderView => ({
  orderId,
  status,
  ...(statusReason ? { statusReason } : {}),
  createdAt: new Date(0).toISOString(),
  timeline: timeline.map(([entry, ms]) => ({ status: entry, at: new Date(ms).toISOString() })),
  shipments: [],
  returns: [],
});

describe('the demo plan', () => {
  it('sends a dozen orders down every path, and the same N the same way each run', () => {
    const twelve = planRun(12, 'a');

    expect(new Set(twelve.orders.map((plan) => plan.path))).toEqual(new Set(PATHS));
    const shape = (runId: string) =>
      planRun(200, runId).orders.map(({ path, token, items, shippingOption }) => ({ path, token, lines: items.length, shippingOption }));
    expect(shape('b')).toEqual(shape('c'));
  });

  it('stocks fewer units of the scarce product than orders want it, and keeps every customer to two orders', () => {
    for (const count of [3, 12, 24, 200]) {
      const run = planRun(count, 'd');
      const scarceOrders = run.orders.filter((plan) => plan.path === 'scarce').length;
      const perCustomer = new Map<string, number>();
      for (const plan of run.orders) perCustomer.set(plan.customer.id, (perCustomer.get(plan.customer.id) ?? 0) + 1);

      expect(run.scarce.stock).toBeLessThan(scarceOrders);
      expect(Math.max(...perCustomer.values())).toBeLessThanOrEqual(2);
      expect(run.orders.every((plan) => plan.customer.email.includes('.d.'))).toBe(true);
    }
  });
});

describe('the demo summary', () => {
  it('accepts each path where it leads, and names what went elsewhere or got stuck', () => {
    const run = planRun(12, 'e');
    const journeys: Journey[] = run.orders.slice(0, 3).map((plan, index) => ({ plan, orderId: `ord_${index}`, step: 'done' }));
    (journeys[2] as Journey).stopped = true;
    (journeys[2] as Journey).step = 'the warehouse to pick it';
    const finals = new Map([
      ['ord_0', order('ord_0', 'REJECTED', 'PAYMENT_DECLINED')], // planned: delivered
      ['ord_1', order('ord_1', 'REJECTED', 'PAYMENT_DECLINED')], // planned: declined
      ['ord_2', order('ord_2', 'FULFILLING')], // planned: scarce, stopped at the deadline
    ]);

    const results = judge(journeys, finals, new Map());

    expect(results.map((result) => result.problem)).toEqual([
      'ended REJECTED PAYMENT_DECLINED; its plan (delivered) leads to DELIVERED',
      undefined,
      'stopped while waiting for the warehouse to pick it (it is FULFILLING)',
    ]);
  });

  it('times each stage from the timelines, leaving out orders held for review from placed → confirmed', () => {
    const fast = order('ord_a', 'DELIVERED', undefined, [
      ['CONFIRMED', 100],
      ['PACKED', 300],
      ['SHIPPED', 400],
      ['DELIVERED', 1400],
    ]);
    const held = order('ord_b', 'CONFIRMED', undefined, [
      ['ON_HOLD', 50],
      ['CONFIRMED', 9000],
    ]);

    const stages = stageTimings([fast, held], []);

    expect(stages.map(({ stage, count, p50Ms }) => [stage, count, p50Ms])).toEqual([
      ['placed → confirmed (not held)', 1, 100],
      ['confirmed → packed', 1, 200],
      ['packed → shipped', 1, 100],
      ['shipped → delivered', 1, 1000],
      ['return requested → refunded', 0, 0],
    ]);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });
});
