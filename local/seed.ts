import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoApiKeyRepository } from '../lambdas/adapters/api-key-repository.js';
import { DynamoCatalogRepository } from '../lambdas/adapters/catalog-repository.js';
import { generateApiKey, hashApiKey } from '../lambdas/domain/api-keys.js';
import type { Scope } from '../lambdas/domain/auth.js';
import { gtinCheckDigit } from '../lambdas/domain/gtin.js';

export const DEMO_STOREFRONT = 'demo-store';

export type DevelopmentKeys = Record<Scope, string>;

const withCheckDigit = (payload: string) => `${payload}${gtinCheckDigit(payload)}`;

/** A small catalog to try the API with; stock is only topped up when a product is new. */
export const DEMO_PRODUCTS = [
  { sku: 'MUG-001', name: 'Stoneware mug, 350 ml', price: 1499, barcode: withCheckDigit('400638133393'), weightGrams: 420, stock: 120 },
  {
    sku: 'TEE-BLK-M',
    name: 'Organic cotton tee, black, M',
    price: 2499,
    barcode: withCheckDigit('590123412345'),
    weightGrams: 180,
    stock: 60,
  },
  { sku: 'BAG-TOTE', name: 'Canvas tote bag', price: 1999, barcode: withCheckDigit('501234567890'), weightGrams: 250, stock: 35 },
  {
    sku: 'BTL-STEEL',
    name: 'Insulated steel bottle, 750 ml',
    price: 3299,
    barcode: withCheckDigit('871234567890'),
    weightGrams: 390,
    stock: 7,
  },
  { sku: 'NOTE-A5', name: 'Dotted notebook, A5', price: 899, barcode: withCheckDigit('978014300723'), weightGrams: 300, stock: 200 },
] as const;

export async function seedDemoCatalog(client: DynamoDBClient, tableName: string): Promise<void> {
  const catalog = new DynamoCatalogRepository(tableName, DynamoDBDocumentClient.from(client));
  for (const product of DEMO_PRODUCTS) {
    const existing = await catalog.getProduct(product.sku);
    if (existing) continue;
    await catalog.putProduct(product.sku, {
      name: product.name,
      price: { amount: product.price, currency: 'EUR' },
      barcode: product.barcode,
      weightGrams: product.weightGrams,
    });
    await catalog.adjustStock({ sku: product.sku, delta: product.stock, reason: 'demo seed', actor: 'local-cloud' });
  }
}

/**
 * Development keys: the ones from the previous run when they still work (the data is persisted),
 * new ones otherwise. Only their hashes are stored in the table.
 */
export async function seedDevelopmentKeys(
  client: DynamoDBClient,
  tableName: string,
  previous: Partial<DevelopmentKeys> = {},
): Promise<DevelopmentKeys> {
  const keys = new DynamoApiKeyRepository(tableName, DynamoDBDocumentClient.from(client));
  const scopes: Scope[] = ['storefront', 'ops', 'warehouse', 'finance'];
  const result = {} as DevelopmentKeys;
  for (const scope of scopes) {
    const old = previous[scope];
    if (old && (await keys.findActiveByHash(hashApiKey(old)))) {
      result[scope] = old;
      continue;
    }
    const created = generateApiKey({
      scope,
      storefrontId: scope === 'storefront' ? DEMO_STOREFRONT : undefined,
      name: `local development (${scope})`,
    });
    await keys.create(created.record);
    result[scope] = created.secret;
  }
  return result;
}
