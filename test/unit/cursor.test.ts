import { describe, expect, it } from 'vitest';
import { fromCursor, toCursor } from '../../lambdas/adapters/cursor.js';

describe('list cursors', () => {
  it('round-trips a DynamoDB key and says null at the end', () => {
    const key = { pk: 'ORDER#ord_1', sk: '#ORDER', gsi1pk: 'ORDERS#demo-store' };
    expect(fromCursor(toCursor(key) as string)).toEqual(key);
    expect(toCursor(undefined)).toBeNull();
    expect(fromCursor(undefined)).toBeUndefined();
  });

  it('refuses a cursor it did not make with a 422-coded error, not a crash', () => {
    for (const bad of ['not-base64-json', Buffer.from('[1,2]').toString('base64url')]) {
      expect(() => fromCursor(bad)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', details: [{ path: 'query.cursor', message: 'not a valid cursor' }] }),
      );
    }
  });
});
