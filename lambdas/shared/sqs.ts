import { SQSClient } from '@aws-sdk/client-sqs';

// Built once per module; the endpoint comes from AWS_ENDPOINT_URL_SQS (or the region's). Requests go to that
// endpoint, not to the host inside a queue URL: the local queue URLs' host (sqs.us-east-1.127.0.0.1) is not a
// URL Node parses, and the SDK warned about it on every message.
export const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
