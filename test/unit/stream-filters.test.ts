import { describe, expect, it } from 'vitest';
import { ORDER_ITEMS_FILTER } from '../../lambdas/adapters/stream-images.js';
import { FilterPatternError, parseFilterPatterns, passesFilters } from '../../local/event-filters.js';

/** A stream record as Lambda filters it (and hands it over). */
const record = (overrides: { eventName?: string; keys?: object; newImage?: object; oldImage?: object } = {}) => ({
  eventID: '1',
  eventName: overrides.eventName ?? 'MODIFY',
  eventSource: 'aws:dynamodb',
  dynamodb: {
    Keys: overrides.keys ?? { pk: { S: 'ORDER#ord_1' }, sk: { S: '#ORDER' } },
    NewImage: overrides.newImage ?? { status: { S: 'CONFIRMED' }, total: { N: '2500' }, tags: { SS: ['gift', 'vip'] } },
    ...(overrides.oldImage ? { OldImage: overrides.oldImage } : {}),
    SequenceNumber: '100',
  },
});

const filters = (...patterns: object[]) =>
  parseFilterPatterns({ Filters: patterns.map((pattern) => ({ Pattern: JSON.stringify(pattern) })) });

describe('stream event filters', () => {
  it('passes everything without filters, and a record any one filter matches', () => {
    expect(passesFilters(record(), [])).toBe(true);
    const either = filters({ eventName: ['INSERT'] }, { eventName: ['MODIFY'] });
    expect(passesFilters(record(), either)).toBe(true);
    expect(passesFilters(record({ eventName: 'REMOVE' }), either)).toBe(false);
  });

  it("matches the template's order-items filter on the sort key only", () => {
    const orders = parseFilterPatterns({ Filters: [{ Pattern: JSON.stringify(ORDER_ITEMS_FILTER) }] });
    expect(passesFilters(record(), orders)).toBe(true);
    expect(passesFilters(record({ keys: { pk: { S: 'PRODUCT#MUG' }, sk: { S: '#PRODUCT' } } }), orders)).toBe(false);
    expect(passesFilters(record({ keys: { pk: { S: 'ORDER#ord_1' } } }), orders)).toBe(false);
  });

  it('matches nested keys under NewImage and OldImage with exact values, prefix and anything-but', () => {
    expect(passesFilters(record(), filters({ dynamodb: { NewImage: { status: { S: ['CONFIRMED', 'SHIPPED'] } } } }))).toBe(true);
    expect(passesFilters(record(), filters({ dynamodb: { Keys: { pk: { S: [{ prefix: 'ORDER#' }] } } } }))).toBe(true);
    expect(passesFilters(record(), filters({ dynamodb: { Keys: { pk: { S: [{ prefix: 'RETURN#' }] } } } }))).toBe(false);
    expect(passesFilters(record(), filters({ dynamodb: { NewImage: { status: { S: [{ 'anything-but': ['REJECTED'] }] } } } }))).toBe(true);
    expect(passesFilters(record(), filters({ dynamodb: { NewImage: { status: { S: [{ 'anything-but': 'CONFIRMED' }] } } } }))).toBe(false);
    expect(passesFilters(record(), filters({ dynamodb: { NewImage: { status: { S: [{ 'anything-but': { prefix: 'CONF' } }] } } } }))).toBe(
      false,
    );
    const changed = record({ oldImage: { status: { S: 'PENDING' } } });
    expect(passesFilters(changed, filters({ dynamodb: { OldImage: { status: { S: ['PENDING'] } } } }))).toBe(true);
  });

  it('tells present from absent with exists, on images and on whole attributes', () => {
    const withoutOld = filters({ dynamodb: { OldImage: [{ exists: false }] } });
    expect(passesFilters(record(), withoutOld)).toBe(true);
    expect(passesFilters(record({ oldImage: { status: { S: 'PENDING' } } }), withoutOld)).toBe(false);
    const captured = filters({ dynamodb: { NewImage: { capture: [{ exists: true }] } } });
    expect(passesFilters(record(), captured)).toBe(false);
    expect(passesFilters(record({ newImage: { capture: { M: { captureId: { S: 'c1' } } } } }), captured)).toBe(true);
  });

  it('matches a set when one of its members does, and numbers held as strings numerically', () => {
    expect(passesFilters(record(), filters({ dynamodb: { NewImage: { tags: { SS: ['vip'] } } } }))).toBe(true);
    expect(passesFilters(record(), filters({ dynamodb: { NewImage: { total: { N: [{ numeric: ['>', 1000, '<=', 2500] }] } } } }))).toBe(
      true,
    );
    expect(passesFilters(record(), filters({ dynamodb: { NewImage: { total: { N: [{ numeric: ['<', 1000] }] } } } }))).toBe(false);
  });

  it('needs every key of a pattern to match', () => {
    const both = filters({ eventName: ['MODIFY'], dynamodb: { NewImage: { status: { S: ['SHIPPED'] } } } });
    expect(passesFilters(record(), both)).toBe(false);
  });

  it('refuses patterns that are not JSON objects, and rules it does not know', () => {
    expect(() => parseFilterPatterns({ Filters: [{ Pattern: '{nope' }] })).toThrow(FilterPatternError);
    expect(() => parseFilterPatterns({ Filters: [{ Pattern: '["a"]' }] })).toThrow(FilterPatternError);
    expect(() => passesFilters(record(), filters({ eventName: [{ wildcard: 'MOD*' }] }))).toThrow(/Unknown filter rule/);
  });
});
