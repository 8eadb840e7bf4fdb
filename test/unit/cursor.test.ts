import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { fromCursor, fromPositionCursor, toCursor, toPositionCursor } from '../../lambdas/adapters/cursor.js';
import { OrderId } from '../../lambdas/domain/orders.js';

const position = { at: '2026-11-27T08:00:00.000Z', id: 'ord_mfx1a2b3c4d5e6' };
const refusal = expect.objectContaining({
  code: 'VALIDATION_FAILED',
  details: [{ path: 'query.cursor', message: 'not a cursor of this list' }],
});

describe('list cursors', () => {
  it('round-trips a position in its list and says null at the end', () => {
    const cursor = toCursor('ORDERS#demo', position) as string;

    expect(fromCursor('ORDERS#demo', cursor, OrderId)).toEqual(position);
    expect(toCursor('ORDERS#demo', undefined)).toBeNull();
    expect(fromCursor('ORDERS#demo', undefined, OrderId)).toBeUndefined();
    expect(fromCursor('ORDERS#demo', '', OrderId)).toBeUndefined();
  });

  it('carries a position, not a key: no partition or key attribute is readable in it', () => {
    const decoded = Buffer.from(toCursor('ORDERS#demo', position) as string, 'base64url').toString('utf8');

    expect(decoded).not.toMatch(/ORDERS#|gsi1|pk|sk/);
  });

  it('refuses a cursor of another list, one it did not make, and a tampered one, with a 422-coded error', () => {
    const cursor = toCursor('ORDERS#demo', position) as string;
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const reencode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    for (const bad of [
      'not-base64-json',
      'eyJwayI6bnVsbH0', // {"pk":null}: the old cursors' shape, a DynamoDB key
      Buffer.from('[1,2]').toString('base64url'),
      'a+b/c=',
      reencode({ ...payload, id: 'pick_mfx1a2b3c4d5e6' }), // an id of another kind of list
      reencode({ ...payload, at: 'yesterday' }),
      reencode({ ...payload, extra: true }),
      `${cursor.slice(0, -2)}AA`,
    ]) {
      expect(() => fromCursor('ORDERS#demo', bad, OrderId), bad).toThrow(refusal);
    }
    expect(() => fromCursor('ORDERS#other', cursor, OrderId)).toThrow(refusal);
  });
});

describe('position cursors (a SKU, a day and an order, a service token)', () => {
  const Position = z.strictObject({ sku: z.string().regex(/^[A-Z0-9-]+$/) });

  it('round-trip a position of their list, and say null at the end', () => {
    const cursor = toPositionCursor('CATALOG', { sku: 'MUG-001' }) as string;

    expect(fromPositionCursor('CATALOG', cursor, Position)).toEqual({ sku: 'MUG-001' });
    expect(toPositionCursor('CATALOG', undefined)).toBeNull();
    expect(fromPositionCursor('CATALOG', '', Position)).toBeUndefined();
  });

  it('refuse another list’s cursor and a position not of the list’s shape, with a 422-coded error', () => {
    const cursor = toPositionCursor('CATALOG', { sku: 'MUG-001' }) as string;
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const reencode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    expect(() => fromPositionCursor('OTHER', cursor, Position)).toThrow(refusal);
    for (const bad of [reencode({ ...payload, p: { sku: 'mug 1' } }), reencode({ ...payload, p: { pk: 'PRODUCT#MUG-001' } }), 'nope']) {
      expect(() => fromPositionCursor('CATALOG', bad, Position), bad).toThrow(refusal);
    }
    // A list-position cursor is not a position cursor, and the other way round.
    expect(() => fromCursor('CATALOG', cursor, OrderId)).toThrow(refusal);
  });
});
