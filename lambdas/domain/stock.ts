import { ConveyorError } from './errors.js';

/** Stock arithmetic: `available` is what can still be promised; it is never negative. */
export interface StockLevel {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
}

export class InsufficientStockError extends ConveyorError {
  constructor(
    readonly sku: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super('INSUFFICIENT_STOCK', `SKU ${sku} has ${available} available; cannot take ${requested} away.`);
    this.name = 'InsufficientStockError';
  }
}

export function emptyStock(sku: string): StockLevel {
  return { sku, onHand: 0, reserved: 0, available: 0 };
}

/** A manual adjustment changes on-hand units; it may not push on-hand below what is reserved. */
export function applyAdjustment(level: StockLevel, delta: number): StockLevel {
  if (!Number.isInteger(delta)) throw new RangeError(`delta must be an integer, got ${delta}`);
  if (level.available + delta < 0) throw new InsufficientStockError(level.sku, -delta, level.available);
  return { ...level, onHand: level.onHand + delta, available: level.available + delta };
}

/** Reserving moves units from available to reserved, all or nothing. */
export function reserve(level: StockLevel, quantity: number): StockLevel {
  if (!Number.isInteger(quantity) || quantity <= 0) throw new RangeError(`quantity must be a positive integer, got ${quantity}`);
  if (level.available < quantity) throw new InsufficientStockError(level.sku, quantity, level.available);
  return { ...level, reserved: level.reserved + quantity, available: level.available - quantity };
}

export function release(level: StockLevel, quantity: number): StockLevel {
  if (quantity > level.reserved) throw new RangeError(`cannot release ${quantity}; only ${level.reserved} reserved`);
  return { ...level, reserved: level.reserved - quantity, available: level.available + quantity };
}
