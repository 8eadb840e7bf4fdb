import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { VelocityWindow } from '../domain/fraud.js';
import {
  CANCELLABLE_STATUSES,
  type CancellationOutcome,
  type CancellationRequest,
  type IdempotencyRecord,
  OrderId,
  type OrderPage,
  type OrderRepository,
  type OrderStatus,
  type OrderSummary,
  type RecordedAuthorization,
  type RecordedCapture,
  type StoredOrder,
} from '../domain/orders.js';
import type { Refund } from '../domain/payments.js';
import type { CatalogEntry } from '../domain/pricing.js';
import { batchGetAll, conditionalWrite, type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { fromCursor, toCursor } from './cursor.js';
import { INDEX, keys, pagePosition } from './keys.js';

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const VELOCITY_TTL_SECONDS = 2 * 3600;
/** The most keys one BatchGetItem takes. */
const BATCH_GET_LIMIT = 100;

const velocityKey = (window: VelocityWindow) => keys.velocity(window.kind, window.subject, window.hour);

/** Orders, their idempotency records and fraud velocity counters. */
export class DynamoOrderRepository implements OrderRepository {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  /** Catalog data for pricing, in one round trip (BatchGet of the #PRODUCT items). */
  async products(skus: readonly string[]): Promise<Map<string, CatalogEntry>> {
    const { Responses } = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: skus.map(keys.product) } } }));
    const found = Responses?.[this.tableName] ?? [];
    return new Map(found.map((item) => [item.sku as string, item as unknown as CatalogEntry]));
  }

  /**
   * Writes the order and its idempotency record in one transaction. Returns the earlier request's
   * record when the idempotency key was used before (even concurrently).
   */
  async place(
    order: StoredOrder,
    idempotency: { key: string; requestHash: string; response: unknown },
  ): Promise<IdempotencyRecord | undefined> {
    // Concurrent duplicates can cancel each other (TransactionConflict) before either commits: try again, briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.placeOnce(order, idempotency);
      } catch (error) {
        if (!(error instanceof TransactionCanceledException) || attempt >= 4) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt * Math.random()));
      }
    }
  }

  private async placeOnce(
    order: StoredOrder,
    idempotency: { key: string; requestHash: string; response: unknown },
  ): Promise<IdempotencyRecord | undefined> {
    const now = Math.floor(Date.now() / 1000);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...keys.idempotency(order.storefrontId, idempotency.key),
                  requestHash: idempotency.requestHash,
                  orderId: order.orderId,
                  response: idempotency.response,
                  expiresAt: now + IDEMPOTENCY_TTL_SECONDS,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...keys.order(order.orderId),
                  ...order,
                  ...keys.storefrontOrders(order.storefrontId, order.createdAt, order.orderId),
                  ...keys.customerOrders(order.storefrontId, order.customer.id, order.createdAt, order.orderId),
                  ...keys.ordersOnDay(order.createdAt, order.orderId),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const earlier = await this.idempotencyRecord(order.storefrontId, idempotency.key);
      if (!earlier) throw error;
      return earlier;
    }
  }

  async idempotencyRecord(storefrontId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.idempotency(storefrontId, key), ConsistentRead: true }),
    );
    return Item as IdempotencyRecord | undefined;
  }

  async get(orderId: string, consistent = false): Promise<StoredOrder | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.order(orderId), ConsistentRead: consistent }),
    );
    return Item as StoredOrder | undefined;
  }

  async requestCancellation(order: StoredOrder, request: CancellationRequest): Promise<CancellationOutcome> {
    let seen = order;
    // The status is part of the condition (the timeline entry names it): when the workflow moved the order on
    // between the read and the write, read it again and decide anew. It moves forward only, so this ends.
    for (let attempt = 1; attempt <= 10; attempt++) {
      if (seen.cancellation && !seen.stockShipped && CANCELLABLE_STATUSES.includes(seen.status))
        return { outcome: 'already-requested', order: seen };
      if (seen.cancellation || seen.stockShipped || !CANCELLABLE_STATUSES.includes(seen.status))
        return { outcome: 'not-cancellable', order: seen };
      const note = `cancellation requested${request.reason ? `: ${request.reason}` : ''}`;
      try {
        const { Attributes } = await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.order(order.orderId),
            UpdateExpression: 'SET cancellation = :request, timeline = list_append(timeline, :entry)',
            ConditionExpression: '#status = :seen AND attribute_not_exists(cancellation) AND attribute_not_exists(stockShipped)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':request': request,
              ':entry': [{ at: request.requestedAt, status: seen.status, note }],
              ':seen': seen.status,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { outcome: 'requested', order: Attributes as StoredOrder };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const again = await this.get(order.orderId, true);
        if (!again) throw new Error(`Order ${order.orderId} disappeared while being cancelled.`);
        seen = again;
      }
    }
    throw new Error(`Order ${order.orderId} kept changing while being cancelled; try again.`);
  }

  /** One BatchGet per 100 orders, reading only the summary's attributes; keys DynamoDB leaves unprocessed are asked again. */
  async summaries(orderIds: readonly string[]): Promise<Map<string, OrderSummary>> {
    const found = new Map<string, OrderSummary>();
    const unique = [...new Set(orderIds)];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      const request = {
        Keys: unique.slice(start, start + BATCH_GET_LIMIT).map(keys.order),
        ProjectionExpression: '#orderId, #status, #total, #createdAt',
        ExpressionAttributeNames: { '#orderId': 'orderId', '#status': 'status', '#total': 'total', '#createdAt': 'createdAt' },
      };
      for (const item of await batchGetAll(this.db, this.tableName, request, `${unique.length} order keys`))
        found.set(item.orderId as string, item as OrderSummary);
    }
    return found;
  }

  async recordRefunds(orderId: string, refunds: readonly Refund[]): Promise<void> {
    const [first] = refunds;
    if (!first) return;
    const key = keys.order(orderId);
    // A map must exist before entries can be set in it; orders placed before refunds were recorded have none.
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET refunds = if_not_exists(refunds, :empty)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':empty': {} },
      }),
    );
    const at = new Date().toISOString();
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = refunds.map((refund, i) => {
      names[`#r${i}`] = refund.refundId;
      values[`:r${i}`] = { amount: refund.amount, at };
      return `refunds.#r${i} = if_not_exists(refunds.#r${i}, :r${i})`;
    });
    const total = refunds.reduce((sum, refund) => sum + refund.amount.amount, 0);
    // The total only rises: a writer holding an older list (two returns refunded at once) leaves the newer total alone.
    const raised = await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}, refunded = :refunded`,
          ConditionExpression: 'attribute_not_exists(refunded) OR refunded.amount <= :total',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':refunded': { amount: total, currency: first.amount.currency }, ':total': total },
        }),
      ),
    );
    if (!raised) {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    }
  }

  async recordAuthorization(orderId: string, authorization: RecordedAuthorization): Promise<RecordedAuthorization> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.order(orderId),
        UpdateExpression: 'SET #authorization = if_not_exists(#authorization, :authorization) REMOVE paymentToken',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#authorization': 'authorization' },
        ExpressionAttributeValues: { ':authorization': authorization },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return (Attributes as StoredOrder).authorization ?? authorization;
  }

  async recordCapture(orderId: string, capture: RecordedCapture): Promise<void> {
    await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(orderId),
          UpdateExpression: 'SET #capture = :capture',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#capture)',
          ExpressionAttributeNames: { '#capture': 'capture' },
          ExpressionAttributeValues: { ':capture': capture },
        }),
      ),
    );
  }

  /** A storefront's orders, newest first, optionally for one customer and/or in one status. */
  async list(
    storefrontId: string,
    filter: { customerId?: string; status?: OrderStatus; limit: number; cursor?: string },
  ): Promise<OrderPage> {
    const { customerId, status } = filter;
    const partition =
      customerId === undefined ? keys.storefrontOrdersPartition(storefrontId) : keys.customerOrdersPartition(storefrontId, customerId);
    // The cursor is a position; the start key is rebuilt here, inside this query's own partition.
    const list = status ? `${partition}?status=${status}` : partition;
    const listKey = (at: string, orderId: string) => ({
      ...keys.order(orderId),
      ...(customerId === undefined
        ? keys.storefrontOrders(storefrontId, at, orderId)
        : keys.customerOrders(storefrontId, customerId, at, orderId)),
    });
    const start = fromCursor(list, filter.cursor, OrderId);
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: customerId === undefined ? INDEX.lists : INDEX.customerOrders,
        KeyConditionExpression: customerId === undefined ? 'gsi1pk = :pk' : 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': partition, ...(status ? { ':status': status } : {}) },
        ...(status ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } } : {}),
        ScanIndexForward: false,
        Limit: filter.limit,
        ExclusiveStartKey: start && listKey(start.at, start.id),
      }),
    );
    return {
      items: Items as StoredOrder[],
      nextCursor: toCursor(list, pagePosition(LastEvaluatedKey, customerId === undefined ? 'gsi1sk' : 'gsi2sk')),
    };
  }

  async inStatusSince(status: OrderStatus, updatedBefore: string, limit: number): Promise<StoredOrder[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX.ordersByStatus,
        KeyConditionExpression: '#status = :status AND updatedAt < :before',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':before': updatedBefore },
        Limit: limit,
      }),
    );
    return Items as StoredOrder[];
  }

  /** The customer's earlier orders at this storefront: how many, and their average total (minor units). */
  async customerHistory(
    storefrontId: string,
    customerId: string,
    excludeOrderId: string,
  ): Promise<{ count: number; averageAmount?: number }> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX.customerOrders,
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.customerOrdersPartition(storefrontId, customerId) },
        ProjectionExpression: 'orderId, #total',
        ExpressionAttributeNames: { '#total': 'total' },
        ScanIndexForward: false,
        Limit: 100,
      }),
    );
    const earlier = Items.filter((item) => item.orderId !== excludeOrderId);
    if (earlier.length === 0) return { count: 0 };
    const sum = earlier.reduce((total, item) => total + ((item.total as { amount: number }).amount ?? 0), 0);
    return { count: earlier.length, averageAmount: Math.round(sum / earlier.length) };
  }

  /**
   * Counts an order towards the fraud velocity windows. Outside the order's transaction on purpose:
   * transactional writes cost twice, and a lost increment only weakens one fraud signal.
   */
  async countVelocity(windows: readonly VelocityWindow[]): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + VELOCITY_TTL_SECONDS;
    await Promise.all(
      windows.map((window) =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: velocityKey(window),
            UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expires)',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':one': 1, ':expires': expiresAt },
          }),
        ),
      ),
    );
  }

  async velocity(windows: readonly VelocityWindow[]): Promise<number[]> {
    const counters = windows.map(velocityKey);
    const { Responses } = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: counters } } }));
    const counts = new Map((Responses?.[this.tableName] ?? []).map((item) => [item.pk as string, item.count as number]));
    return counters.map((key) => counts.get(key.pk) ?? 0);
  }
}
