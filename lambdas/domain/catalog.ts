import * as z from 'zod';
import { isValidGtin } from './gtin.js';
import { Money } from './money.js';

export const Sku = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, dots, dashes or underscores')
  .meta({ id: 'Sku', description: 'Stock keeping unit, unique per product.' });

export const Barcode = z
  .string()
  .refine(isValidGtin, 'must be a GTIN-8, -12, -13 or -14 with a valid check digit')
  .meta({ id: 'Barcode', description: 'GTIN-8/12/13/14; the check digit is verified.', example: '4006381333931' });

export const PutProductBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    price: Money,
    barcode: Barcode,
    weightGrams: z.number().int().min(1).max(1_000_000),
  })
  .meta({ id: 'PutProductBody' });
export type PutProductBody = z.infer<typeof PutProductBody>;

export const Product = z
  .object({
    sku: Sku,
    name: z.string(),
    price: Money,
    barcode: Barcode,
    weightGrams: z.number().int(),
    available: z.number().int().min(0),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Product' });
export type Product = z.infer<typeof Product>;

export const ProductList = z.object({ items: z.array(Product), nextCursor: z.string().nullable() }).meta({ id: 'ProductList' });
export type ProductList = z.infer<typeof ProductList>;

export const AdjustmentBody = z
  .strictObject({
    delta: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .refine((d) => d !== 0, 'must not be zero'),
    reason: z.string().trim().min(1).max(500),
  })
  .meta({ id: 'AdjustmentBody', example: { delta: 25, reason: 'received purchase order PO-1042' } });
export type AdjustmentBody = z.infer<typeof AdjustmentBody>;

export const StockLevel = z
  .object({
    sku: Sku,
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int().min(0),
  })
  .meta({ id: 'StockLevel' });
/** `available` (on hand minus reserved) is what can still be promised; the table's conditions keep it from going negative. */
export type StockLevel = z.infer<typeof StockLevel>;

export const SkuParams = z.strictObject({ sku: Sku });

export interface StockAdjustment {
  sku: string;
  delta: number;
  reason: string;
  actor: string;
}

/** The catalog port: products and their stock. */
export interface CatalogRepository {
  putProduct(sku: string, input: PutProductBody, now?: Date): Promise<Product>;
  getProduct(sku: string): Promise<Product | undefined>;
  /** The catalog in SKU order, a page at a time, each product with its available stock. */
  listProducts(page: { limit: number; cursor?: string }): Promise<ProductList>;
  getStock(sku: string, consistent?: boolean): Promise<StockLevel | undefined>;
  /** Adjusts on-hand stock and records why; throws NotFound for an unknown SKU, InsufficientStock below what is reserved. */
  adjustStock(adjustment: StockAdjustment, now?: Date): Promise<StockLevel>;
  /** The units an order holds (by SKU) while its reservation lives; undefined before it is made and after release or shipment. */
  reservation(orderId: string): Promise<Record<string, number> | undefined>;
}
