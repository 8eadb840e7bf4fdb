import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { GetQueueAttributesCommand, ListQueuesCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Endpoints } from '../cloud.js';

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** The stack's dead-letter queues: each queue's DLQ, and where the stream consumers put the batches they gave up on. */
const DEAD_LETTER_NAME = /Dlq|Failures/;

export interface DeadLetterQueue {
  name: string;
  url: string;
  /** Messages in it: visible, in flight (someone is reading it) and delayed. */
  depth: number;
  /** The visible messages, read without taking them (visibility timeout 0). */
  messages: Message[];
}

/** What landed in one dead-letter queue during the run, and whose it is. */
export interface DeadLetterChange {
  name: string;
  before: number;
  after: number;
  /** New messages about this run's orders, tracking numbers, returns or SKUs. */
  ours: string[];
  /** New messages about something else (another client of the same cloud). */
  others: number;
  /** New messages the demo could not read (in flight with another reader, or a record it could not look up): they may be its own. */
  unread: number;
}

interface StreamFailure {
  DDBStreamBatchInfo?: { streamArn: string; shardId: string; startSequenceNumber: string; endSequenceNumber: string };
}

/**
 * Reads the dead-letter queues before and after the run. A message that landed meanwhile is the demo's when
 * it names one of its orders, tracking numbers, returns or SKUs; a stream failure record names only a range
 * of the table's stream, so that range is read to see whose records failed.
 */
export class DeadLetters {
  private readonly sqs: SQSClient;
  private readonly streams: DynamoDBStreamsClient;

  constructor(endpoints: Endpoints) {
    this.sqs = new SQSClient({ endpoint: endpoints.sqs, ...LOCAL });
    this.streams = new DynamoDBStreamsClient({ endpoint: endpoints.dynamodb, ...LOCAL });
  }

  async read(): Promise<DeadLetterQueue[]> {
    const { QueueUrls = [] } = await this.sqs.send(new ListQueuesCommand({}));
    const urls = QueueUrls.filter((url) => DEAD_LETTER_NAME.test(url.split('/').at(-1) ?? ''));
    return Promise.all(urls.map((url) => this.queue(url)));
  }

  /** What landed in each queue of `before` since; `markers` are the run's ids (matched without regard to case). */
  async changes(before: DeadLetterQueue[], markers: string[]): Promise<DeadLetterChange[]> {
    const after = new Map((await this.read()).map((queue) => [queue.url, queue]));
    const lowered = markers.map((marker) => marker.toLowerCase());
    return Promise.all(
      before.map(async (earlier) => {
        const now = after.get(earlier.url) ?? { ...earlier, depth: 0, messages: [] };
        const known = new Set(earlier.messages.map((message) => message.MessageId));
        const arrived = now.messages.filter((message) => !known.has(message.MessageId));
        const change: DeadLetterChange = { name: earlier.name, before: earlier.depth, after: now.depth, ours: [], others: 0, unread: 0 };
        for (const message of arrived) {
          const text = await this.contents(message);
          const named = markers.filter((_, index) => text?.includes(lowered[index] as string));
          if (text === undefined) change.unread++;
          else if (named.length) change.ours.push(`${whose(message)} about ${named.slice(0, 3).join(', ')}`);
          else change.others++;
        }
        // Growth the visible messages do not explain is in flight with someone else: unread, so possibly the demo's.
        change.unread += Math.max(0, now.depth - earlier.depth - arrived.length);
        return change;
      }),
    );
  }

  /**
   * As `changes`, but a message someone else has in flight (received, not yet deleted) cannot be read until
   * its visibility timeout ends: for up to `patienceMs` it reads again until every new message could be read.
   */
  async settledChanges(
    before: DeadLetterQueue[],
    markers: string[],
    patienceMs: number,
    onWait: (line: string) => void,
  ): Promise<DeadLetterChange[]> {
    const until = Date.now() + patienceMs;
    let changes = await this.changes(before, markers);
    if (changes.some((change) => change.unread > 0)) {
      onWait(`A dead-letter queue got a message another reader holds; waiting up to ${patienceMs / 1000} s to read it…`);
    }
    while (changes.some((change) => change.unread > 0) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      changes = await this.changes(before, markers);
    }
    return changes;
  }

  close(): void {
    this.sqs.destroy();
    this.streams.destroy();
  }

  private async queue(url: string): Promise<DeadLetterQueue> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    const depth = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']
      .map((name) => Number(Attributes[name as keyof typeof Attributes] ?? 0))
      .reduce((sum, count) => sum + count, 0);
    return { name: url.split('/').at(-1) ?? url, url, depth, messages: depth ? await this.peek(url) : [] };
  }

  /** The visible messages, each left in the queue for the next reader. */
  private async peek(url: string): Promise<Message[]> {
    const seen = new Map<string, Message>();
    for (let round = 0; round < 10; round++) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0 }),
      );
      const fresh = Messages.filter((message) => message.MessageId && !seen.has(message.MessageId));
      if (fresh.length === 0) break;
      for (const message of fresh) seen.set(message.MessageId as string, message);
    }
    return [...seen.values()];
  }

  /** The message's text, lower-cased; for a stream failure record, the stream records it stands for. */
  private async contents(message: Message): Promise<string | undefined> {
    const body = message.Body ?? '';
    let failure: StreamFailure;
    try {
      failure = JSON.parse(body) as StreamFailure;
    } catch {
      return body.toLowerCase();
    }
    if (!failure.DDBStreamBatchInfo) return body.toLowerCase();
    return this.streamRecords(failure.DDBStreamBatchInfo).then(
      (records) => records?.toLowerCase(),
      () => undefined,
    );
  }

  private async streamRecords(batch: NonNullable<StreamFailure['DDBStreamBatchInfo']>): Promise<string | undefined> {
    const { ShardIterator } = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: batch.streamArn,
        ShardId: batch.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        SequenceNumber: batch.startSequenceNumber,
      }),
    );
    const last = BigInt(batch.endSequenceNumber);
    const texts: string[] = [];
    let iterator = ShardIterator;
    for (let page = 0; iterator && page < 20; page++) {
      const { Records = [], NextShardIterator } = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      for (const record of Records) {
        if (BigInt(record.dynamodb?.SequenceNumber ?? '0') > last) return texts.join('\n');
        texts.push(
          JSON.stringify(record.dynamodb?.Keys ?? {}),
          JSON.stringify(record.dynamodb?.NewImage ?? record.dynamodb?.OldImage ?? {}),
        );
      }
      if (Records.length === 0) break;
      iterator = NextShardIterator;
    }
    return texts.length ? texts.join('\n') : undefined;
  }
}

/** What kind of message it is: a queue's event, or a stream consumer's failure record (naming the consumer). */
function whose(message: Message): string {
  try {
    const record = JSON.parse(message.Body ?? '') as StreamFailure & { requestContext?: { functionArn?: string } };
    if (record.DDBStreamBatchInfo)
      return `stream records ${record.requestContext?.functionArn?.split(':').at(-1) ?? 'a consumer'} gave up on,`;
  } catch {
    // Not JSON: an event is still shown by what it names.
  }
  return 'an event';
}
