import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import type { LabelPurchaseRecords } from './easypost-carrier.js';
import { keys } from './keys.js';

/** The carrier shipment bought (or being bought) per idempotency key, one item each (`keys.labelPurchase`). */
export class DynamoLabelPurchaseRecords implements LabelPurchaseRecords {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  async find(idempotencyKey: string): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.labelPurchase(idempotencyKey), ConsistentRead: true }),
    );
    return Item?.shipmentId as string | undefined;
  }

  async remember(idempotencyKey: string, shipmentId: string): Promise<string> {
    const written = await conditionalWrite(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.labelPurchase(idempotencyKey), shipmentId, at: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return written ? shipmentId : ((await this.find(idempotencyKey)) as string);
  }
}
