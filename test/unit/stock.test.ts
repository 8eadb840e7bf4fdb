import { describe, expect, it } from 'vitest';
import { applyAdjustment, emptyStock, InsufficientStockError, release, reserve } from '../../lambdas/domain/stock.js';

describe('stock arithmetic', () => {
  const tenOnHand = applyAdjustment(emptyStock('SKU-1'), 10);

  it('adds received units to on-hand and available', () => {
    expect(tenOnHand).toEqual({ sku: 'SKU-1', onHand: 10, reserved: 0, available: 10 });
  });

  it('moves reserved units out of available, not out of on-hand', () => {
    expect(reserve(tenOnHand, 4)).toEqual({ sku: 'SKU-1', onHand: 10, reserved: 4, available: 6 });
  });

  it('refuses to reserve more than is available', () => {
    expect(() => reserve(reserve(tenOnHand, 8), 3)).toThrow(InsufficientStockError);
  });

  it('refuses an adjustment that would push on-hand below reserved', () => {
    const reserved = reserve(tenOnHand, 8);
    expect(() => applyAdjustment(reserved, -3)).toThrow(InsufficientStockError);
    expect(applyAdjustment(reserved, -2)).toEqual({ sku: 'SKU-1', onHand: 8, reserved: 8, available: 0 });
  });

  it('releases reservations back to available', () => {
    expect(release(reserve(tenOnHand, 4), 4)).toEqual(tenOnHand);
    expect(() => release(tenOnHand, 1)).toThrow(RangeError);
  });

  it('carries the INSUFFICIENT_STOCK code for the HTTP layer', () => {
    try {
      applyAdjustment(emptyStock('SKU-2'), -1);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'INSUFFICIENT_STOCK', sku: 'SKU-2', available: 0 });
    }
  });
});
