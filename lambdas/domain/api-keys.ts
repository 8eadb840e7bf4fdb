import { createHash, randomBytes } from 'node:crypto';
import type { Principal, Scope } from './auth.js';
import { ValidationFailed } from './errors.js';

/** An API key as stored: only the SHA-256 of the secret is kept, never the secret itself. */
export interface ApiKeyRecord extends Principal {
  hash: string;
  name: string;
  createdAt: string;
  revokedAt?: string;
}

export interface NewApiKey {
  secret: string;
  record: ApiKeyRecord;
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateApiKey(input: { scope: Scope; storefrontId?: string; name?: string }, now = new Date()): NewApiKey {
  if (input.scope === 'storefront' && !input.storefrontId) throw new ValidationFailed('A storefront key needs a storefront id.');
  if (input.scope !== 'storefront' && input.storefrontId) throw new ValidationFailed('Only storefront keys are bound to a storefront.');
  const secret = `cvy_${input.scope}_${randomBytes(24).toString('base64url')}`;
  return {
    secret,
    record: {
      keyId: `key_${randomBytes(6).toString('hex')}`,
      hash: hashApiKey(secret),
      scope: input.scope,
      storefrontId: input.storefrontId,
      name: input.name ?? `${input.scope}${input.storefrontId ? `:${input.storefrontId}` : ''}`,
      createdAt: now.toISOString(),
    },
  };
}

/** Reads the key from `Authorization: Bearer <key>`; other schemes are not keys. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

/** The API keys port: the authorizer finds keys by hash; the keys CLI creates, lists and revokes them. */
export interface ApiKeyRepository {
  create(record: ApiKeyRecord): Promise<void>;
  findActiveByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Revokes by key id; false when no such key exists. Revoking twice keeps the first date. */
  revoke(keyId: string, now?: Date): Promise<boolean>;
}
