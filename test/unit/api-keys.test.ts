import { describe, expect, it } from 'vitest';
import { bearerToken, generateApiKey, hashApiKey } from '../../lambdas/domain/api-keys.js';

describe('API keys', () => {
  it('stores only the hash of a new key', () => {
    const { secret, record } = generateApiKey({ scope: 'storefront', storefrontId: 'acme' });
    expect(record.hash).toBe(hashApiKey(secret));
    expect(JSON.stringify(record)).not.toContain(secret);
    expect(record).toMatchObject({ scope: 'storefront', storefrontId: 'acme' });
  });

  it('makes a different key every time', () => {
    expect(generateApiKey({ scope: 'ops' }).secret).not.toBe(generateApiKey({ scope: 'ops' }).secret);
  });

  it('binds storefront keys, and only those, to a storefront', () => {
    expect(() => generateApiKey({ scope: 'storefront' })).toThrow(/storefront id/);
    expect(() => generateApiKey({ scope: 'ops', storefrontId: 'acme' })).toThrow(/Only storefront keys/);
  });

  it('reads bearer tokens and nothing else', () => {
    expect(bearerToken('Bearer cvy_ops_abc')).toBe('cvy_ops_abc');
    expect(bearerToken('bearer   cvy_ops_abc ')).toBe('cvy_ops_abc');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
