import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { forwardRequest } from './dynamodb-meter.js';
import type { FaultInjector } from './faults.js';

/** DynamoDB's own answer to a throttled request: the SDKs retry it, Step Functions names it `DynamoDB.…`. */
const THROTTLED = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API. (an injected fault, CONVEYOR_FAULTS dynamodb)',
});

/**
 * A proxy in front of DynamoDB Local that throttles a share of requests (CONVEYOR_FAULTS dynamodb) the way
 * DynamoDB does: HTTP 400 with `ProvisionedThroughputExceededException`, the request not done. Functions
 * and the workflow's DynamoDB tasks go through it; the local cloud's own set-up and seeding do not.
 */
export class DynamoDbThrottler {
  private server: Server | undefined;

  constructor(
    private readonly target: string,
    private readonly faults: FaultInjector,
  ) {}

  async listen(): Promise<string> {
    const target = new URL(this.target);
    this.server = createServer(async (incoming, outgoing) => {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      if (!this.faults.strikes('dynamodb')) return forwardRequest(target, incoming, Buffer.concat(chunks), outgoing);
      this.faults.counts.dynamodbThrottled++;
      outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
      outgoing.end(THROTTLED);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
