import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Built once per module so warm invocations reuse connections. Endpoints come from AWS_ENDPOINT_URL_*.
export const dynamoDb = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
export type DocumentClient = typeof dynamoDb;

export const stepFunctions = new SFNClient({});
export const sqs = new SQSClient({});
