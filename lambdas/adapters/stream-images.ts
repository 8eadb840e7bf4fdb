import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { keys } from './keys.js';

const ORDER_SORT_KEY = keys.order('any').sk;

/** An order item's change on the table's stream: its image before (none when it was created) and after. */
export interface OrderChange {
  before?: Record<string, unknown>;
  after: Record<string, unknown>;
  /** When DynamoDB wrote it (seconds), for logs. */
  at?: number;
  /** The record's place in the stream: records of one item come in increasing sequence numbers. */
  sequenceNumber?: string;
}

/**
 * The order change a stream record carries, or undefined when the record is of another item (the table holds
 * many kinds) or a removal. The key schema stays here: consumers never read keys themselves.
 */
export function orderChange(record: DynamoDBRecord): OrderChange | undefined {
  const data = record.dynamodb;
  if (!data?.NewImage || data.Keys?.sk?.S !== ORDER_SORT_KEY) return undefined;
  const image = (value: unknown) => unmarshall(value as Record<string, AttributeValue>);
  return {
    ...(data.OldImage ? { before: image(data.OldImage) } : {}),
    after: image(data.NewImage),
    at: data.ApproximateCreationDateTime,
    sequenceNumber: data.SequenceNumber,
  };
}

/** The template's filter for order items, so the stream's mappings only invoke consumers for orders. */
export const ORDER_ITEMS_FILTER = { dynamodb: { Keys: { sk: { S: [ORDER_SORT_KEY] } } } };
