import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CatalogRepository, Product, PutProductBody, StockAdjustment, StockLevel } from '../domain/catalog.js';
import { InsufficientStock, NotFound } from '../domain/errors.js';
import { normalizeGtin } from '../domain/gtin.js';
import { type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { keys } from './keys.js';

/** Products and their stock live in one item collection (keys.productCollection): #PRODUCT, #STOCK and ADJUSTMENT# items. */
export class DynamoCatalogRepository implements CatalogRepository {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  async putProduct(sku: string, input: PutProductBody, now = new Date()): Promise<Product> {
    const at = now.toISOString();
    const { Attributes: product } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.product(sku),
        UpdateExpression:
          'SET sku = :sku, #name = :name, price = :price, barcode = :barcode, weightGrams = :weight, createdAt = if_not_exists(createdAt, :at), updatedAt = :at, gsi1pk = :gsi1pk, gsi1sk = :sku',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: {
          ':sku': sku,
          ':name': input.name,
          ':price': input.price,
          ':barcode': input.barcode,
          ':weight': input.weightGrams,
          ':at': at,
          // gsi1 finds the product by its barcode.
          ':gsi1pk': keys.barcodeIndex(normalizeGtin(input.barcode)),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    // The stock item exists from the first PUT on, so adjustments can require it (404 for unknown SKUs).
    const { Attributes: stock } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.stock(sku),
        UpdateExpression:
          'SET sku = :sku, onHand = if_not_exists(onHand, :zero), reserved = if_not_exists(reserved, :zero), available = if_not_exists(available, :zero)',
        ExpressionAttributeValues: { ':sku': sku, ':zero': 0 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toProduct(product as Record<string, unknown>, (stock?.available as number) ?? 0);
  }

  async getProduct(sku: string): Promise<Product | undefined> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hash)',
        ExpressionAttributeValues: { ':pk': keys.productCollection(sku), ':hash': '#' },
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
