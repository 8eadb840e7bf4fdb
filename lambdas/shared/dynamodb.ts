import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
