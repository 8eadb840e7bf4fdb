import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FaultInjector } from './faults.js';
import type { LambdaRuntime, LocalFunction } from './lambda-runtime.js';
import { type CfnTemplate, type IntrinsicResolver, LOCAL_REGION, type LocalResource, resourcesOfType } from './template.js';

/**
 * Creates the template's SQS queues in the local SQS (fauxqs), keeping their attributes; redrive
 * policies are set once every queue exists, so dead-letter queues can be referenced by ARN.
 */
export async function createQueues(client: SQSClient, template: CfnTemplate, stackName: string): Promise<Map<string, LocalResource>> {
  const identities = new Map<string, LocalResource>();
  const queues = resourcesOfType(template, 'AWS::SQS::Queue');
  for (const [logicalId, resource] of queues) {
    const props = resource.Properties ?? {};
    const attributes: Record<string, string> = {};
    for (const key of [
      'VisibilityTimeout',
      'MessageRetentionPeriod',
      'DelaySeconds',
      'ReceiveMessageWaitTimeSeconds',
      'MaximumMessageSize',
    ]) {
      if (props[key] !== undefined) attributes[key] = String(props[key]);
    }
    const name = `${stackName}-${logicalId}${props.FifoQueue ? '.fifo' : ''}`;
    if (props.FifoQueue) attributes.FifoQueue = 'true';
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    identities.set(logicalId, {
      ref: QueueUrl as string,
      attributes: { Arn: Attributes?.QueueArn as string, QueueName: name, QueueUrl: QueueUrl as string },
    });
  }
  return identities;
}

export async function applyRedrivePolicies(
  client: SQSClient,
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  identities: Map<string, LocalResource>,
): Promise<void> {
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    const policy = resource.Properties?.RedrivePolicy;
    if (!policy) continue;
    const resolved = resolver.resolve(policy) as { deadLetterTargetArn: string; maxReceiveCount: number };
    await client.send(
      new SetQueueAttributesCommand({
        QueueUrl: identities.get(logicalId)?.ref,
        Attributes: {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: resolved.deadLetterTargetArn,
            maxReceiveCount: Number(resolved.maxReceiveCount),
          }),
        },
      }),
    );
  }
}

interface Mapping {
  queueUrl: string;
  queueArn: string;
  functionKey: string;
  batchSize: number;
  batchingWindowMs: number;
  reportsItemFailures: boolean;
}

/**
 * The SQS → Lambda event source mappings of the template, as Lambda's poller runs them: long polls,
 * batches up to BatchSize (gathered for up to MaximumBatchingWindowInSeconds), deletes what succeeded,
 * and leaves failed messages to become visible again — so maxReceiveCount moves a poison message to its DLQ.
 */
export class SqsPollers {
  private running = false;
  private batches = 0;
  private readonly loops: Promise<void>[] = [];
  private readonly mappings: Mapping[] = [];

  constructor(
    private readonly client: SQSClient,
    private readonly lambdas: LambdaRuntime,
    /** With SQS faults on, a share of processed messages is not deleted and comes again (at-least-once delivery). */
    private readonly faults?: FaultInjector,
  ) {}

  register(template: CfnTemplate, resolver: IntrinsicResolver, queues: Map<string, LocalResource>): void {
    for (const [, resource] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const props = resource.Properties ?? {};
      const sourceArn = resolver.resolveString(props.EventSourceArn);
      const queue = [...queues.values()].find((candidate) => candidate.attributes.Arn === sourceArn);
      if (!queue) continue; // DynamoDB Streams mappings are local/streams.ts's
      this.mappings.push({
        queueUrl: queue.ref,
        queueArn: sourceArn,
        functionKey: resolver.resolveString(props.FunctionName),
        batchSize: Number(props.BatchSize ?? 10),
        batchingWindowMs: Number(props.MaximumBatchingWindowInSeconds ?? 0) * 1000,
        reportsItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
      });
    }
  }

  /** Lambda polls a standard queue with five concurrent batches to begin with; so does this poller. */
  start(concurrentBatches = 5): void {
    this.running = true;
    for (const mapping of this.mappings) {
      for (let i = 0; i < concurrentBatches; i++) this.loops.push(this.poll(mapping));
    }
  }

  private async receive(mapping: Mapping): Promise<Message[]> {
    const messages: Message[] = [];
    const deadline = Date.now() + mapping.batchingWindowMs;
    do {
      const { Messages = [] } = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: mapping.queueUrl,
          MaxNumberOfMessages: Math.min(10, mapping.batchSize - messages.length),
          WaitTimeSeconds: messages.length ? 0 : 1,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      messages.push(...Messages);
      if (!Messages.length && messages.length) break;
    } while (this.running && messages.length < mapping.batchSize && messages.length > 0 && Date.now() < deadline);
    return messages;
  }

  private async poll(mapping: Mapping): Promise<void> {
    const fn = this.lambdas.get(mapping.functionKey);
    while (this.running) {
      let messages: Message[];
      try {
        messages = await this.receive(mapping);
      } catch {
        if (this.running) await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (!messages.length) continue;
      if (!this.running) {
        // Received as the local cloud began to stop: handed back at once for the next start (fauxqs keeps them).
        await this.changeVisibility(mapping, messages, 0);
        continue;
      }
      this.batches++;
      try {
        await this.deliver(fn, mapping, messages);
      } catch {
        // The delete or the visibility change after the invocation failed (the queue service hiccuped): SQS then
        // hands the batch out again after its visibility timeout, as it would in AWS. The loop goes on polling.
      } finally {
        this.batches--;
      }
    }
  }

  private async changeVisibility(mapping: Mapping, messages: Message[], seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: mapping.queueUrl,
        Entries: messages.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: seconds })),
      }),
    );
  }

  /** Invokes the function with one batch; deletes what succeeded and lets the rest come back. */
  private async deliver(fn: LocalFunction, mapping: Mapping, messages: Message[]): Promise<void> {
    const event = {
      Records: messages.map((message) => ({
        messageId: message.MessageId,
        receiptHandle: message.ReceiptHandle,
        body: message.Body,
        attributes: message.Attributes ?? {},
        messageAttributes: message.MessageAttributes ?? {},
        md5OfBody: message.MD5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: mapping.queueArn,
        awsRegion: LOCAL_REGION,
      })),
    };
    const result = await fn.invoke(event);
    const failed = new Set<string>();
    if (!result.ok) for (const message of messages) failed.add(message.MessageId as string);
    else if (mapping.reportsItemFailures) {
      for (const failure of (result.payload as { batchItemFailures?: { itemIdentifier: string }[] } | null)?.batchItemFailures ?? []) {
        failed.add(failure.itemIdentifier);
      }
    }
    const processed = messages.filter((message) => !failed.has(message.MessageId as string));
    // SQS delivers at least once: a delete that never happened means the consumer sees the message again.
    const redelivered = processed.filter(() => this.faults?.strikes('sqs') ?? false);
    if (this.faults) this.faults.counts.sqsNotDeleted += redelivered.length;
    const done = processed.filter((message) => !redelivered.includes(message));
    if (done.length) {
      await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: mapping.queueUrl,
          Entries: done.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
    // Failed messages come back after a short pause locally (AWS waits for the visibility timeout).
    const retry = [...messages.filter((message) => failed.has(message.MessageId as string)), ...redelivered];
    if (retry.length) await this.changeVisibility(mapping, retry, 1);
  }

  /** Batches being delivered to a function right now. */
  get inFlight(): number {
    return this.batches;
  }

  /** Receives no more messages; batches already received are still delivered (stop() waits for them). */
  stopPolling(): void {
    this.running = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.loops);
  }
}
