import { describe, expect, it } from 'vitest';
import { gtinCheckDigit, isValidGtin, normalizeGtin } from '../../lambdas/domain/gtin.js';

describe('GTIN check digits', () => {
  it.each([
    ['4006381333931', 'EAN-13'],
    ['96385074', 'EAN-8'],
    ['036000291452', 'UPC-A'],
    ['10012345678902', 'GTIN-14'],
  ])('accepts the valid %s (%s)', (code) => {
    expect(isValidGtin(code)).toBe(true);
  });

  it('rejects a wrong check digit', () => {
    expect(isValidGtin('4006381333932')).toBe(false);
  });

  it('rejects a single swapped pair of digits', () => {
    expect(isValidGtin('4006381339331')).toBe(false);
  });

  it.each(['', '1234567', '123456789', 'ABCDEFGHIJKLM', '40063813339 1'])('rejects the malformed %j', (code) => {
    expect(isValidGtin(code)).toBe(false);
  });

  it('computes the check digit for a payload', () => {
    expect(gtinCheckDigit('400638133393')).toBe(1);
    expect(gtinCheckDigit('9638507')).toBe(4);
  });

  it('normalizes codes of every length to GTIN-14', () => {
    expect(normalizeGtin('036000291452')).toBe('00036000291452');
    expect(normalizeGtin('96385074')).toBe('00000096385074');
  });
});
