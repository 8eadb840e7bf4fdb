import { SQSClient } from '@aws-sdk/client-sqs';

// Built once per module; the endpoint comes from AWS_ENDPOINT_URL_SQS.
export const sqs = new SQSClient({});
