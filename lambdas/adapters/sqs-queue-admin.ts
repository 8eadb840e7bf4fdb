import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QUEUE_NAMES, type QueueAdmin, type QueueDepth, type QueueName } from '../domain/queues.js';
import { sqs } from '../shared/sqs.js';

/** A queue's URL and its DLQ's; stream-failures is a dead-letter queue of its own, with no queue in front. */
export type QueueUrls = Record<Exclude<QueueName, 'stream-failures'>, { url: string; dlqUrl: string }> & {
  'stream-failures': { dlqUrl: string };
};

/** How long a message being moved stays invisible in the DLQ: unmoved (a failed send), it comes back then. */
const MOVE_VISIBILITY_SECONDS = 30;

/**
 * The stack's queues on SQS. A redrive receives from the DLQ, sends to the queue with the same body and message
 * attributes, then deletes what was sent (SQS's StartMessageMoveTask would do it inside SQS; the local SQS has no
 * move tasks, and this path works the same on both). At least once: a message sent but not deleted (the function
 * stopped in between) is still in the DLQ and may be sent again; the consumers drop duplicates by event id.
 */
export class SqsQueueAdmin implements QueueAdmin {
  constructor(
    private readonly urls: QueueUrls,
    private readonly client: SQSClient = sqs,
  ) {}

  async depths(): Promise<QueueDepth[]> {
    return Promise.all(
      QUEUE_NAMES.map(async (name): Promise<QueueDepth> => {
        if (name === 'stream-failures') {
          const failures = await this.count(this.urls[name].dlqUrl);
          return { name, messages: 0, inFlight: 0, deadLetters: failures.visible + failures.inFlight, redrivable: false };
        }
        const [queue, dlq] = await Promise.all([this.count(this.urls[name].url), this.count(this.urls[name].dlqUrl)]);
        return { name, messages: queue.visible, inFlight: queue.inFlight, deadLetters: dlq.visible + dlq.inFlight, redrivable: true };
      }),
    );
  }

  private async count(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const { Attributes = {} } = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  async redrive(name: Exclude<QueueName, 'stream-failures'>, max: number): Promise<number> {
    const { url, dlqUrl } = this.urls[name];
    let moved = 0;
    while (moved < max) {
      const { Messages = [] } = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: Math.min(10, max - moved),
          // A second's long poll: a short poll may answer empty while messages wait on other SQS hosts.
          WaitTimeSeconds: 1,
          VisibilityTimeout: MOVE_VISIBILITY_SECONDS,
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      moved += await this.move(Messages, url, dlqUrl);
    }
    return moved;
  }

  /** Sends a batch to the queue and deletes from the DLQ what was sent; returns how many were moved. */
  private async move(messages: Message[], url: string, dlqUrl: string): Promise<number> {
    const { Successful = [], Failed = [] } = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: messages.map((message, i) => ({
          Id: String(i),
          MessageBody: message.Body ?? '',
          ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length
            ? { MessageAttributes: attributesOf(message.MessageAttributes) }
            : {}),
        })),
      }),
    );
    if (Successful.length) {
      const { Failed: notDeleted = [] } = await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: Successful.map((sent) => ({ Id: sent.Id, ReceiptHandle: messages[Number(sent.Id)]?.ReceiptHandle })),
        }),
      );
      // Sent but still in the DLQ: it comes back there and may be sent again (at least once, consumers dedupe).
      if (notDeleted.length)
        throw new Error(`${notDeleted.length} redriven messages could not be deleted from ${dlqUrl}: ${notDeleted[0]?.Message}`);
    }
    // What the queue refused stays in the DLQ and becomes visible again after MOVE_VISIBILITY_SECONDS.
    if (Failed.length) throw new Error(`${Failed.length} messages could not be sent back to ${url}: ${Failed[0]?.Message}`);
    return Successful.length;
  }
}

/** Message attributes as received, as SendMessage takes them (without the list fields SQS reserves and leaves empty). */
function attributesOf(attributes: Record<string, MessageAttributeValue>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, { DataType, StringValue, BinaryValue }]) => [
      name,
      { DataType, ...(StringValue !== undefined ? { StringValue } : {}), ...(BinaryValue !== undefined ? { BinaryValue } : {}) },
    ]),
  );
}
