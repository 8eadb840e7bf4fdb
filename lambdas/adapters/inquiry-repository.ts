import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  InquiryId,
  type InquiryPage,
  type InquiryReply,
  type InquiryRepository,
  type InquiryStatus,
  type StoredInquiry,
} from '../domain/inquiries.js';
import { type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { fromCursor, toCursor } from './cursor.js';
import { INDEX, keys, pagePosition } from './keys.js';

/** The stored item without its keys. */
const toInquiry = (item: Record<string, unknown>): StoredInquiry => {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, gsi2pk: _gsi2pk, gsi2sk: _gsi2sk, ...inquiry } = item;
  return inquiry as StoredInquiry;
};

/** Customers' inquiries about their orders, listed by status (gsi1) and by order (gsi2), oldest first. */
export class DynamoInquiryRepository implements InquiryRepository {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  async open(inquiry: StoredInquiry): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.inquiry(inquiry.inquiryId),
          ...keys.inquiriesByStatus(inquiry.status, inquiry.createdAt, inquiry.inquiryId),
          ...keys.inquiryOfOrder(inquiry.orderId, inquiry.createdAt, inquiry.inquiryId),
          ...inquiry,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(inquiryId: string): Promise<StoredInquiry | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.inquiry(inquiryId), ConsistentRead: true }));
    return Item ? toInquiry(Item) : undefined;
  }

  list(status: InquiryStatus, limit: number, cursor?: string): Promise<InquiryPage> {
    return this.page(
      { index: INDEX.lists, partition: keys.inquiriesPartition(status) },
      (at, id) => keys.inquiriesByStatus(status, at, id),
      limit,
      cursor,
    );
  }

  listOfOrder(orderId: string, limit: number, cursor?: string): Promise<InquiryPage> {
    return this.page(
      { index: INDEX.orderInquiries, partition: keys.orderInquiriesPartition(orderId) },
      (at, id) => keys.inquiryOfOrder(orderId, at, id),
      limit,
      cursor,
    );
  }

  /**
   * A page of one list partition of an index, oldest first. The cursor is a position; the start key is rebuilt
   * here (`listKeys`), inside this list's own partition.
   */
  private async page(
    list: { index: 'gsi1' | 'gsi2'; partition: string },
    listKeys: (at: string, inquiryId: string) => Record<string, string>,
    limit: number,
    cursor?: string,
  ): Promise<InquiryPage> {
    const start = fromCursor(list.partition, cursor, InquiryId);
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: list.index,
        KeyConditionExpression: `${list.index}pk = :pk`,
        ExpressionAttributeValues: { ':pk': list.partition },
        Limit: limit,
        ExclusiveStartKey: start && { ...keys.inquiry(start.id), ...listKeys(start.at, start.id) },
      }),
    );
    return { items: Items.map(toInquiry), nextCursor: toCursor(list.partition, pagePosition(LastEvaluatedKey, `${list.index}sk`)) };
  }

  async addReply(inquiryId: string, reply: InquiryReply, close: boolean): Promise<StoredInquiry | undefined> {
    // Closing moves the inquiry to the CLOSED list of gsi1 (its sort key, the creation time, stays).
    const closing = close ? ', #status = :closed, closedAt = :at, gsi1pk = :closedList' : '';
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.inquiry(inquiryId),
          UpdateExpression: `SET replies = list_append(replies, :reply), updatedAt = :at${closing}`,
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':reply': [reply],
            ':at': reply.at,
            ':open': 'OPEN',
            ...(close ? { ':closed': 'CLOSED', ':closedList': keys.inquiriesPartition('CLOSED') } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toInquiry(Attributes as Record<string, unknown>);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async recordLateReply(inquiryId: string, reply: InquiryReply): Promise<StoredInquiry> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.inquiry(inquiryId),
        UpdateExpression: 'SET replies = list_append(replies, :reply), updatedAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':reply': [reply], ':at': reply.at },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toInquiry(Attributes as Record<string, unknown>);
  }
}
