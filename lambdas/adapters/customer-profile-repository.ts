import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CustomerProfileRepository, OrderContribution } from '../domain/customers.js';
import { conditionalWrite, type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { keys } from './keys.js';

/** The stored item without its keys. */
const toContribution = (item: Record<string, unknown>): OrderContribution => {
  const { pk: _pk, sk: _sk, ...contribution } = item;
  return contribution as unknown as OrderContribution;
};

/**
 * Customer profiles in the table: under `keys.customerProfilePartition(customerId)`, one item per order
 * (`keys.customerProfileOrder`) holding that order's contribution. A write replaces the order's item only when
 * its version is greater, so redelivered, replayed and reordered stream records never make it older.
 */
export class DynamoCustomerProfileRepository implements CustomerProfileRepository {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  contribute(contribution: OrderContribution): Promise<boolean> {
    return conditionalWrite(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.customerProfileOrder(contribution.customerId, contribution.orderId), ...contribution },
          ConditionExpression: 'attribute_not_exists(pk) OR #version < :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': contribution.version },
        }),
      ),
    );
  }

  async contributions(customerId: string): Promise<OrderContribution[]> {
    const found: OrderContribution[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.customerProfilePartition(customerId) },
          ExclusiveStartKey: start,
        }),
      );
      found.push(...Items.map(toContribution));
      start = LastEvaluatedKey;
    } while (start);
    return found;
  }
}
