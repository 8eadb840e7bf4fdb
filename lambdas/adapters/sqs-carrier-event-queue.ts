import { InvalidMessageContents, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ValidationFailed } from '../domain/errors.js';
import type { CarrierEvent, CarrierEventQueue } from '../domain/tracking.js';
import { sqs } from '../shared/sqs.js';

/**
 * SQS's refusal of a body's characters. The SDK names it `InvalidMessageContents`; a service that answers with
 * the query-compatible code instead (fauxqs does) gives `AWS.SimpleQueueService.InvalidMessageContents`.
 */
const isRefusedBody = (error: unknown) =>
  error instanceof InvalidMessageContents || (error instanceof Error && error.name.endsWith('InvalidMessageContents'));

/** Carrier events buffered in SQS between the webhook and TrackCarrier (a DLQ catches poison). */
export class SqsCarrierEventQueue implements CarrierEventQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = sqs,
  ) {}

  async enqueue(event: CarrierEvent): Promise<void> {
    try {
      await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(event) }));
    } catch (error) {
      // The schema keeps such characters out; should one slip through, it is the sender's input, not our fault.
      if (!isRefusedBody(error)) throw error;
      throw new ValidationFailed('The carrier event holds characters a queue message cannot carry.', {
        details: [{ path: 'body', message: (error as Error).message }],
        cause: error,
      });
    }
  }
}
