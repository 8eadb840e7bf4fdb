import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type BatchGetCommandInput, type BatchGetCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Built once per module so warm invocations reuse connections; the endpoint comes from AWS_ENDPOINT_URL_DYNAMODB.
// One module per client, so a function loads only the clients it uses.
export const dynamoDb = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
export type DocumentClient = typeof dynamoDb;

/** A conditional write's outcome: true when it was written, false when its condition refused it (nothing changed). */
export async function conditionalWrite(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * One BatchGet (up to 100 keys of one table) and its items: what DynamoDB leaves unprocessed is asked again with
 * jittered backoff, eight attempts at most; `what` names the keys in the error after that.
 */
export async function batchGetAll(
  db: DocumentClient,
  tableName: string,
  request: NonNullable<BatchGetCommandInput['RequestItems']>[string],
  what: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let pending: BatchGetCommandInput['RequestItems'] = { [tableName]: request };
  for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
    if (attempt >= 8) throw new Error(`DynamoDB left ${what} unprocessed after ${attempt} attempts`);
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
    const output: BatchGetCommandOutput = await db.send(new BatchGetCommand({ RequestItems: pending }));
    items.push(...(output.Responses?.[tableName] ?? []));
    pending = output.UnprocessedKeys;
  }
  return items;
}
