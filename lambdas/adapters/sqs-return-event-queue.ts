import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueuedReturnEvent, ReturnEventQueue } from '../domain/returns.js';
import { sqs } from '../shared/sqs.js';

/** Warehouse return events buffered in SQS between the API and ProcessReturn (a DLQ catches poison). */
export class SqsReturnEventQueue implements ReturnEventQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = sqs,
  ) {}

  async enqueue(event: QueuedReturnEvent): Promise<void> {
    // The schema admits visible ASCII ids and enums only, so SQS has no character to refuse.
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(event) }));
  }
}
