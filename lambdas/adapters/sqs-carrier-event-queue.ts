import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CarrierEvent, CarrierEventQueue } from '../domain/tracking.js';
import { sqs } from '../shared/sqs.js';

/** Carrier events buffered in SQS between the webhook and TrackCarrier (a DLQ catches poison). */
export class SqsCarrierEventQueue implements CarrierEventQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = sqs,
  ) {}

  async enqueue(event: CarrierEvent): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(event) }));
  }
}
