import * as dynamodb from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '../../local/lambda-runtime.js';
import type { TaskReplay } from '../../local/sfn/resume.js';
import { type SdkClient, type TaskServices, taskHandler } from '../../local/sfn/tasks.js';
import { TaskTokens } from '../../local/sfn/tokens.js';
import { cloud, uniqueSku } from './client.js';

// A DynamoDB write in flight when the local cloud died is sent again on resume. If the first one had
// been applied, the second fails its condition: against DynamoDB Local, the task must then tell a
// write already applied (success, once) from one that really fails (the workflow's error, as before).

const client = new dynamodb.DynamoDBClient({
  endpoint: cloud.dynamodb,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const lines: string[] = [];
const services: TaskServices = {
  lambdas: undefined as unknown as LambdaRuntime,
  tokens: new TaskTokens(),
  sdk: async () => ({ client: client as unknown as SdkClient, commands: dynamodb as unknown as Record<string, unknown> }),
  traffic: { admit: async () => undefined, begin: () => () => undefined },
  log: (line) => lines.push(line),
};
const recorder = { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:orders:in-doubt', record: () => undefined };

/** A Task state's handler as the resumed execution runs it: `replay` says the call was in flight. */
function resumedTask(resource: string, replay?: TaskReplay) {
  return taskHandler({ Resource: `arn:aws:states:::${resource}` }, services, recorder, 'Reserve', () => replay);
}

/** Reserve-like: decrement the stock and put the reservation record, once. */
function reservation(sku: string) {
  return {
    TransactItems: [
      {
        Update: {
          TableName: cloud.tableName,
          Key: { pk: { S: `PRODUCT#${sku}` }, sk: { S: '#STOCK' } },
          UpdateExpression: 'SET available = available - :qty, reserved = reserved + :qty',
          ConditionExpression: 'available >= :qty',
          ExpressionAttributeValues: { ':qty': { N: '2' } },
        },
      },
      {
        Put: {
          TableName: cloud.tableName,
          Item: { pk: { S: `ORDER#${sku}` }, sk: { S: 'RESERVATION' }, lines: { N: '1' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ],
  };
}

/** MarkConfirmed-like: a status write that only moves forward. */
function confirmation(sku: string, at: string) {
  return {
    TableName: cloud.tableName,
    Key: { pk: { S: `ORDER#${sku}` }, sk: { S: '#ORDER' } },
    UpdateExpression: 'SET #status = :confirmed, updatedAt = :at, timeline = list_append(timeline, :entry) REMOVE reviewToken',
    ConditionExpression: '#status IN (:pending)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':confirmed': { S: 'CONFIRMED' },
      ':pending': { S: 'PENDING' },
      ':at': { S: at },
      ':entry': { L: [{ M: { status: { S: 'CONFIRMED' } } }] },
    },
  };
}

async function stock(sku: string, available: number) {
  await client.send(
    new dynamodb.PutItemCommand({
      TableName: cloud.tableName,
      Item: { pk: { S: `PRODUCT#${sku}` }, sk: { S: '#STOCK' }, available: { N: String(available) }, reserved: { N: '0' } },
    }),
  );
}

const reservedOf = async (sku: string) =>
  (
    await client.send(
      new dynamodb.GetItemCommand({ TableName: cloud.tableName, Key: { pk: { S: `PRODUCT#${sku}` }, sk: { S: '#STOCK' } } }),
    )
  ).Item?.reserved?.N;

describe('a DynamoDB write in doubt after a crash', () => {
  it('counts a reservation that had committed as done, once, instead of OUT_OF_STOCK', async () => {
    const sku = uniqueSku('DOUBT');
    await stock(sku, 10);
    await client.send(new dynamodb.TransactWriteItemsCommand(reservation(sku))); // the call the crash cut off

    await expect(resumedTask('aws-sdk:dynamodb:transactWriteItems', { kind: 'inDoubt' })(reservation(sku))).resolves.toEqual({});
    expect(await reservedOf(sku)).toBe('2');
    expect(lines.at(-1)).toContain('had been applied before the stop');
    // Not in doubt, the same write is what it always was: cancelled.
    await expect(resumedTask('aws-sdk:dynamodb:transactWriteItems')(reservation(sku))).rejects.toMatchObject({
      name: 'DynamoDb.TransactionCanceledException',
    });
  });

  it('still reports a reservation that fails for real (no stock) as failed', async () => {
    const sku = uniqueSku('DOUBT');
    await stock(sku, 1);
    await expect(resumedTask('aws-sdk:dynamodb:transactWriteItems', { kind: 'inDoubt' })(reservation(sku))).rejects.toMatchObject({
      name: 'DynamoDb.TransactionCanceledException',
    });
    expect(await reservedOf(sku)).toBe('0');
  });

  it('counts a status write that had been applied as done, but not one another writer made', async () => {
    const sku = uniqueSku('DOUBT');
    const order = { pk: { S: `ORDER#${sku}` }, sk: { S: '#ORDER' }, status: { S: 'PENDING' }, timeline: { L: [] } };
    await client.send(new dynamodb.PutItemCommand({ TableName: cloud.tableName, Item: order }));
    await client.send(new dynamodb.UpdateItemCommand(confirmation(sku, '2026-01-01T00:00:00.000Z')));

    await expect(
      resumedTask('dynamodb:updateItem', { kind: 'inDoubt' })(confirmation(sku, '2026-01-01T00:00:00.000Z')),
    ).resolves.toMatchObject({ SdkHttpMetadata: { HttpStatusCode: 200 } });
    // Confirmed at another time: not this write's doing.
    await expect(
      resumedTask('dynamodb:updateItem', { kind: 'inDoubt' })(confirmation(sku, '2026-02-02T00:00:00.000Z')),
    ).rejects.toMatchObject({
      name: 'DynamoDB.ConditionalCheckFailedException',
    });
  });
});
