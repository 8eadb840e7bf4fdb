import * as z from 'zod';

/** Who may call what. A storefront key is bound to exactly one storefront. */
export const Scope = z.enum(['storefront', 'ops', 'warehouse', 'finance']);
export type Scope = z.infer<typeof Scope>;

export interface Principal {
  keyId: string;
  scope: Scope;
  storefrontId?: string;
}

export const StorefrontId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes');
