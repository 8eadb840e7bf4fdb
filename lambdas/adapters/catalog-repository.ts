import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  type CatalogRepository,
  type Product,
  type ProductList,
  type PutProductBody,
  Sku,
  type StockAdjustment,
  type StockLevel,
} from '../domain/catalog.js';
import { BarcodeInUse, InsufficientStock, NotFound } from '../domain/errors.js';
import { normalizeGtin } from '../domain/gtin.js';
import { batchGetAll, type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { fromPositionCursor, toPositionCursor } from './cursor.js';
import { INDEX, keys } from './keys.js';

/** Where a catalog page ended: the last SKU it showed. */
const CatalogPosition = z.strictObject({ sku: Sku });

/** Products and their stock live in one item collection (keys.productCollection): #PRODUCT, #STOCK and ADJUSTMENT# items. */
export class DynamoCatalogRepository implements CatalogRepository {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  /**
   * Creates or replaces a product (its stock is kept). A barcode belongs to one SKU: a claim item per GTIN-14
   * (keys.barcodeClaim) is written in the same transaction as the product, conditioned on being free or this
   * SKU's, and the claim of the barcode the product had before is released in it too. The product's own
   * condition (still the barcode that was read) makes two concurrent PUTs of one SKU retry instead of leaving
   * a claim behind.
   */
  async putProduct(sku: string, input: PutProductBody, now = new Date()): Promise<Product> {
    const gtin = normalizeGtin(input.barcode);
    for (let attempt = 1; ; attempt++) {
      const previous = await this.storedBarcode(sku);
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: this.productWrites(sku, input, previous, now) }));
        break;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        // Cancellation reasons differ between DynamoDB and its emulators, so ask the claim itself why.
        const owner = await this.barcodeOwner(gtin);
        if (owner !== undefined && owner !== sku) throw new BarcodeInUse(input.barcode, owner, { cause: error });
        // Otherwise the product changed since it was read, or a concurrent transaction touched the same items:
        // each such refusal means another PUT of this SKU went through, so a few attempts outlast a burst of them.
        if (attempt >= 8) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt * Math.random()));
      }
    }
    const product = await this.readProduct(sku, true);
    if (!product) throw new Error(`Product ${sku} is missing right after it was written.`);
    return product;
  }

  private productWrites(sku: string, input: PutProductBody, previous: string | undefined, now: Date) {
    const gtin = normalizeGtin(input.barcode);
    const released = previous === undefined ? undefined : normalizeGtin(previous);
    const at = now.toISOString();
    const isThisSkus = 'attribute_not_exists(pk) OR sku = :sku';
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.barcodeClaim(gtin), sku, claimedAt: at },
          ConditionExpression: isThisSkus,
          ExpressionAttributeValues: { ':sku': sku },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: keys.product(sku),
          UpdateExpression:
            'SET sku = :sku, #name = :name, price = :price, barcode = :barcode, weightGrams = :weight, createdAt = if_not_exists(createdAt, :at), updatedAt = :at, gsi1pk = :gsi1pk, gsi1sk = :sku, gsi2pk = :gsi2pk, gsi2sk = :gsi2sk',
          // The barcode read before this write is still the product's: otherwise a concurrent PUT came in between.
          ConditionExpression: previous === undefined ? 'attribute_not_exists(pk)' : 'barcode = :previous',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: {
            ':sku': sku,
            ':name': input.name,
            ':price': input.price,
            ':barcode': input.barcode,
            ':weight': input.weightGrams,
            ':at': at,
            // gsi1 finds the product by its barcode.
            ':gsi1pk': keys.barcodeIndex(gtin),
            // gsi2 lists the catalog by SKU.
            ':gsi2pk': keys.catalogEntry(sku).gsi2pk,
            ':gsi2sk': keys.catalogEntry(sku).gsi2sk,
            ...(previous === undefined ? {} : { ':previous': previous }),
          },
        },
      },
      // The stock item exists from the first PUT on, so adjustments can require it (404 for unknown SKUs).
      {
        Update: {
          TableName: this.tableName,
          Key: keys.stock(sku),
          UpdateExpression:
            'SET sku = :sku, onHand = if_not_exists(onHand, :zero), reserved = if_not_exists(reserved, :zero), available = if_not_exists(available, :zero)',
          ExpressionAttributeValues: { ':sku': sku, ':zero': 0 },
        },
      },
      ...(released !== undefined && released !== gtin
        ? [
            {
              // Products stored before claims existed have none to release; never release another SKU's.
              Delete: {
                TableName: this.tableName,
                Key: keys.barcodeClaim(released),
                ConditionExpression: isThisSkus,
                ExpressionAttributeValues: { ':sku': sku },
              },
            },
          ]
        : []),
    ];
  }

  /** The barcode the product has now (read consistently), or undefined for a new SKU. */
  private async storedBarcode(sku: string): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.product(sku), ProjectionExpression: 'barcode', ConsistentRead: true }),
    );
    return Item?.barcode as string | undefined;
  }

  /** The SKU that holds a barcode's claim, if any. */
  private async barcodeOwner(gtin14: string): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.barcodeClaim(gtin14), ConsistentRead: true }),
    );
    return Item?.sku as string | undefined;
  }

  async getProduct(sku: string): Promise<Product | undefined> {
    return this.readProduct(sku, false);
  }

  /** One Query of the catalog's partition (SKU order), then the page's stock levels in one BatchGet. */
  async listProducts(page: { limit: number; cursor?: string }): Promise<ProductList> {
    const list = keys.catalogPartition();
    const start = fromPositionCursor(list, page.cursor, CatalogPosition);
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX.catalog,
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': list },
        Limit: page.limit,
        // The cursor is a position; the start key is rebuilt here, inside the catalog's partition.
        ExclusiveStartKey: start && { ...keys.product(start.sku), ...keys.catalogEntry(start.sku) },
      }),
    );
    const available = await this.availability(Items.map((item) => item.sku as string));
    const last = Items.at(-1);
    return {
      items: Items.map((item) => toProduct(item, available.get(item.sku as string) ?? 0)),
      nextCursor: toPositionCursor(list, LastEvaluatedKey && last ? { sku: last.sku as string } : undefined),
    };
  }

  /** The available units of up to 100 SKUs (one BatchGet of their #STOCK items; what DynamoDB leaves unprocessed is asked again). */
  private async availability(skus: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (skus.length === 0) return found;
    const request = { Keys: skus.map(keys.stock), ProjectionExpression: 'sku, available' };
    for (const item of await batchGetAll(this.db, this.tableName, request, `stock keys of ${skus.length} SKUs`))
      found.set(item.sku as string, item.available as number);
    return found;
  }

  private async readProduct(sku: string, consistent: boolean): Promise<Product | undefined> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hash)',
        ExpressionAttributeValues: { ':pk': keys.productCollection(sku), ':hash': '#' },
        ConsistentRead: consistent,
      }),
    );
    const product = Items.find((item) => item.sk === '#PRODUCT');
    if (!product) return undefined;
    const stock = Items.find((item) => item.sk === '#STOCK');
    return toProduct(product, (stock?.available as number) ?? 0);
  }

  async getStock(sku: string, consistent = false): Promise<StockLevel | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.stock(sku), ConsistentRead: consistent }));
    return Item ? toStockLevel(Item) : undefined;
  }

  async reservation(orderId: string): Promise<Record<string, number> | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.reservation(orderId), ConsistentRead: true }),
    );
    return Item ? ((Item.items as Record<string, number> | undefined) ?? {}) : undefined;
  }

  /**
   * Adjusts on-hand stock and records why, atomically. The condition keeps `available`
   * (on-hand minus reserved) from going negative however many adjustments race.
   */
  async adjustStock(adjustment: StockAdjustment, now = new Date()): Promise<StockLevel> {
    const { sku, delta } = adjustment;
    const at = now.toISOString();
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.stock(sku),
                UpdateExpression: 'SET onHand = onHand + :delta, available = available + :delta, updatedAt = :at',
                ConditionExpression: delta < 0 ? 'attribute_exists(pk) AND available >= :needed' : 'attribute_exists(pk)',
                ExpressionAttributeValues: { ':delta': delta, ':at': at, ...(delta < 0 ? { ':needed': -delta } : {}) },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...keys.stockAdjustment(sku, at, randomUUID()),
                  sku,
                  delta,
                  reason: adjustment.reason,
                  actor: adjustment.actor,
                  at,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // Cancellation reasons differ between DynamoDB and its emulators, so ask the item itself why.
      const current = await this.getStock(sku, true);
      if (!current) throw NotFound.of(`Product ${sku}`, { cause: error });
      throw new InsufficientStock(sku, -delta, current.available, { cause: error });
    }
    const level = await this.getStock(sku, true);
    if (!level) throw NotFound.of(`Product ${sku}`);
    return level;
  }
}

function toStockLevel(item: Record<string, unknown>): StockLevel {
  return {
    sku: item.sku as string,
    onHand: item.onHand as number,
    reserved: item.reserved as number,
    available: item.available as number,
  };
}

function toProduct(item: Record<string, unknown>, available: number): Product {
  return {
    sku: item.sku as string,
    name: item.name as string,
    price: item.price as Product['price'],
    barcode: item.barcode as string,
    weightGrams: item.weightGrams as number,
    available,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}
