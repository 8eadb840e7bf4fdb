import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../lambdas/shared/ttl-cache.js';

describe('TtlCache', () => {
  it('serves an entry until its time to live has passed', () => {
    let now = 1000;
    const cache = new TtlCache<string, number>(500, 10, () => now);
    cache.set('a', 1);

    now = 1499;
    expect(cache.get('a')).toBe(1);
    now = 1500;
    expect(cache.get('a')).toBeUndefined();
  });

  it('stores nothing with a zero time to live', () => {
    const cache = new TtlCache<string, number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
  });

  it('evicts the oldest entry when full', () => {
    const cache = new TtlCache<string, number>(10_000, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
  });
});
