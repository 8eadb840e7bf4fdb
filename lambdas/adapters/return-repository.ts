import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Money } from '../domain/money.js';
import type { StoredOrder } from '../domain/orders.js';
import {
  type ReturnCondition,
  type ReturnedUnits,
  type ReturnRepository,
  type ReturnStatus,
  returnSummary,
  type StoredReturn,
} from '../domain/returns.js';
import { conditionalWrite, type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { keys } from './keys.js';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/**
 * Returns (keys.returnRequest) and what the order keeps about them: `returned`, units per SKU, and `returnsById`, a
 * summary per return. Every change of a return's status writes the return and the order's summary in one
 * transaction, conditioned on the return alone, so the two never disagree.
 */
export class DynamoReturnRepository implements ReturnRepository {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  async get(returnId: string, consistent = false): Promise<StoredReturn | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.returnRequest(returnId), ConsistentRead: consistent }),
    );
    return Item as StoredReturn | undefined;
  }

  async prepareOrder(order: StoredOrder): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.order(order.orderId),
        UpdateExpression: 'SET returned = if_not_exists(returned, :none), returnsById = if_not_exists(returnsById, :empty)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':none': Object.fromEntries(order.items.map((line) => [line.sku, 0])), ':empty': {} },
      }),
    );
  }

  async create(stored: StoredReturn, before: ReturnedUnits, after: ReturnedUnits): Promise<'created' | 'conflict'> {
    const skus = Object.keys(after);
    const names = Object.fromEntries(skus.map((sku, i) => [`#s${i}`, sku]));
    const unchanged = skus.map((sku, i) => (sku in before ? `returned.#s${i} = :b${i}` : `attribute_not_exists(returned.#s${i})`));
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.returnRequest(stored.returnId), ...stored },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.order(stored.orderId),
                UpdateExpression: `SET ${skus.map((_, i) => `returned.#s${i} = :a${i}`).join(', ')}, returnsById.#return = :summary, updatedAt = :now`,
                // What the return was planned on still holds: no other return came in between.
                ConditionExpression: ['#status = :delivered', ...unchanged].join(' AND '),
                ExpressionAttributeNames: { ...names, '#status': 'status', '#return': stored.returnId },
                ExpressionAttributeValues: {
                  ...Object.fromEntries(skus.flatMap((sku, i) => (sku in before ? [[`:b${i}`, before[sku]]] : []))),
                  ...Object.fromEntries(skus.map((sku, i) => [`:a${i}`, after[sku]])),
                  ':delivered': 'DELIVERED',
                  ':summary': returnSummary(stored),
                  ':now': stored.createdAt,
                },
              },
            },
          ],
        }),
      );
      return 'created';
    } catch (error) {
      if (error instanceof TransactionCanceledException) return 'conflict';
      throw error;
    }
  }

  async markReceived(stored: StoredReturn, at: string): Promise<boolean> {
    return this.transition(stored, {
      update: 'SET #status = :received, receivedAt = :at, updatedAt = :at',
      condition: '#status = :requested',
      values: { ':received': 'RECEIVED', ':requested': 'REQUESTED', ':at': at },
      summary: { status: 'RECEIVED' },
      done: (found) => found.status !== 'REQUESTED',
    });
  }

  async claimInspection(stored: StoredReturn, condition: ReturnCondition, at: string): Promise<ReturnCondition> {
    // No condition yet means not REFUNDED yet either (the refund follows the inspection), so RECEIVED is never a step back.
    const claimed = await this.transition(stored, {
      update:
        'SET #condition = :condition, inspectedAt = :at, #status = :received, receivedAt = if_not_exists(receivedAt, :at), updatedAt = :at',
      condition: 'attribute_not_exists(#condition)',
      values: { ':condition': condition, ':received': 'RECEIVED', ':at': at },
      summary: { status: 'RECEIVED' },
      done: (found) => found.condition !== undefined,
    });
    if (claimed) return condition;
    const found = await this.get(stored.returnId, true);
    return found?.condition as ReturnCondition;
  }

  async restock(stored: StoredReturn, at: string): Promise<boolean> {
    const stock: TransactItem[] = stored.items.map((line) => ({
      Update: {
        TableName: this.tableName,
        Key: keys.stock(line.sku),
        UpdateExpression: 'SET onHand = onHand + :units, available = available + :units, updatedAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':units': line.quantity, ':at': at },
      },
    }));
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.returnRequest(stored.returnId),
                UpdateExpression: 'SET restockedAt = :at',
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(restockedAt)',
                ExpressionAttributeValues: { ':at': at },
              },
            },
            ...stock,
          ],
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // Cancellation reasons differ between DynamoDB and its emulators, so ask the return itself why.
      if ((await this.get(stored.returnId, true))?.restockedAt) return false;
      throw error;
    }
  }

  async markRefunded(stored: StoredReturn, refund: Money, at: string): Promise<boolean> {
    return this.transition(stored, {
      update: 'SET #status = :refunded, refund = :refund, refundedAt = :at, updatedAt = :at',
      condition: '#status <> :refunded',
      values: { ':refunded': 'REFUNDED', ':refund': refund, ':at': at },
      summary: { status: 'REFUNDED', refund },
      done: (found) => found.status === 'REFUNDED',
    });
  }

  async claimRefundEmail(returnId: string, owner: string, at: string, staleBefore: string): Promise<boolean> {
    return conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.returnRequest(returnId),
          UpdateExpression: 'SET refundEmailClaim = :claim',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(refundEmailedAt) AND (attribute_not_exists(refundEmailClaim) OR refundEmailClaim.#owner = :owner OR refundEmailClaim.#at < :stale)',
          ExpressionAttributeNames: { '#owner': 'owner', '#at': 'at' },
          ExpressionAttributeValues: { ':claim': { owner, at }, ':owner': owner, ':stale': staleBefore },
        }),
      ),
    );
  }

  async markRefundEmailed(returnId: string, at: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.returnRequest(returnId),
        UpdateExpression: 'SET refundEmailedAt = if_not_exists(refundEmailedAt, :at)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  /**
   * Changes the return (on its own condition) and its summary on the order in one transaction. False when the return's
   * condition refused it because the change was made before (`done` says so of the return as it is); a refusal for
   * any other reason (a write conflict) is thrown, to be retried.
   */
  private async transition(
    stored: StoredReturn,
    change: {
      update: string;
      condition: string;
      values: Record<string, unknown>;
      summary: { status: ReturnStatus; refund?: Money };
      done: (found: StoredReturn) => boolean;
    },
  ): Promise<boolean> {
    const summaryNames = { '#return': stored.returnId, '#status': 'status' };
    const summaryValues = {
      ':summaryStatus': change.summary.status,
      ':at': change.values[':at'],
      ...(change.summary.refund ? { ':summaryRefund': change.summary.refund } : {}),
    };
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.returnRequest(stored.returnId),
                UpdateExpression: change.update,
                ConditionExpression: `attribute_exists(pk) AND ${change.condition}`,
                ExpressionAttributeNames: {
                  '#status': 'status',
                  ...(change.update.includes('#condition') ? { '#condition': 'condition' } : {}),
                },
                ExpressionAttributeValues: change.values,
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.order(stored.orderId),
                UpdateExpression: `SET returnsById.#return.#status = :summaryStatus, ${change.summary.refund ? 'returnsById.#return.refund = :summaryRefund, ' : ''}updatedAt = :at`,
                ExpressionAttributeNames: summaryNames,
                ExpressionAttributeValues: summaryValues,
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const found = await this.get(stored.returnId, true);
      if (found && change.done(found)) return false;
      throw error;
    }
  }
}
