import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '../../local/lambda-runtime.js';
import { SqsPollers } from '../../local/sqs.js';
import { type CfnTemplate, IntrinsicResolver, type LocalResource } from '../../local/template.js';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:events';
const template: CfnTemplate = {
  Resources: {
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: QUEUE_ARN, FunctionName: 'consumer', BatchSize: 1 },
    },
  },
};
const queues = new Map<string, LocalResource>([['Queue', { ref: 'http://queue/events', attributes: { Arn: QUEUE_ARN } }]]);

describe('the local SQS poller', () => {
  // An error path the emulator cannot produce: the queue service failing the delete after a successful invocation.
  it('goes on polling when deleting a delivered batch fails: the batch comes back, later messages are delivered', async () => {
    const waiting = ['first', 'second'];
    const invoked: string[] = [];
    let deletes = 0;
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        switch (command.constructor.name) {
          case 'ReceiveMessageCommand': {
            const body = waiting.shift();
            if (!body) await new Promise((resolve) => setTimeout(resolve, 20));
            return { Messages: body ? [{ MessageId: body, ReceiptHandle: body, Body: body }] : [] };
          }
          case 'DeleteMessageBatchCommand':
            if (++deletes === 1) throw new Error('the queue service failed the delete');
            return {};
          default:
            return {};
        }
      },
    } as unknown as SQSClient;
    const consumer = {
      invoke: async (event: { Records: { body: string }[] }) => {
        invoked.push(...event.Records.map((record) => record.body));
        return { ok: true, payload: null, coldStart: false };
      },
    };
    const lambdas = { get: () => consumer } as unknown as LambdaRuntime;
    const pollers = new SqsPollers(client, lambdas);
    pollers.register(template, new IntrinsicResolver(queues, 'Test'), queues);

    pollers.start(1);
    for (let i = 0; i < 100 && invoked.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await pollers.stop();

    expect(invoked).toEqual(['first', 'second']);
    expect(deletes).toBe(2);
  });
});
