import { randomUUID } from 'node:crypto';
import {
  type _Record,
  type AttributeValue,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type FilterPattern, parseFilterPatterns, passesFilters } from './event-filters.js';
import type { LambdaRuntime, LocalFunction } from './lambda-runtime.js';
import { type BatchOutcome, batchOutcome, ShardRetries } from './stream-batches.js';
import { StreamCheckpoints } from './stream-checkpoints.js';
import { type CfnTemplate, type IntrinsicResolver, LOCAL_REGION, type LocalResource, resourcesOfType } from './template.js';

/** Lambda polls each shard of a DynamoDB stream four times a second. */
const POLL_MS = 250;
/** How often a mapping looks for new shards (DynamoDB rolls a shard over every few hours; a child starts after its parent). */
const DISCOVER_MS = 1000;
/** The pause before a failed batch is delivered again (Lambda backs off too; locally it is kept short). */
const RETRY_MS = 200;

export interface StreamMapping {
  /** The mapping's logical id: its checkpoint file is named after it. */
  id: string;
  streamArn: string;
  functionKey: string;
  batchSize: number;
  batchingWindowMs: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  filters: FilterPattern[];
  bisect: boolean;
  /** -1: until the records expire. */
  maxRetries: number;
  /** -1: no limit. */
  maxRecordAgeSeconds: number;
  reportsItemFailures: boolean;
  onFailure?: { arn: string; queueUrl: string };
}

/** A stream record as Lambda hands it to a function (attribute values in DynamoDB's JSON, times in epoch seconds). */
export interface StreamEventRecord {
  eventID: string;
  eventName: string;
  eventVersion: string;
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime?: number;
    Keys?: Record<string, unknown>;
    NewImage?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
    SequenceNumber: string;
    SizeBytes?: number;
    StreamViewType?: string;
  };
  eventSourceARN: string;
  userIdentity?: { type?: string; principalId?: string };
}

export interface StreamPollersOptions {
  streams: DynamoDBStreamsClient;
  sqs: SQSClient;
  lambdas: LambdaRuntime;
  /** Where each mapping's checkpoints are kept (`<stateDir>/streams`). */
  checkpointDir: string;
  log?: (line: string) => void;
}

/**
 * The DynamoDB Streams → Lambda event source mappings of the template, run as Lambda runs them: one reader per
 * shard (a child shard after its parent is read to its end), records of a shard in order, one batch in flight per
 * shard, FilterCriteria, BatchSize and the batching window, retries with bisection and item failures, the failure
 * destination, and checkpoints kept on disk so a restart goes on where the last one stopped.
 */
export class StreamPollers {
  private readonly mappings: StreamMapping[] = [];
  private readonly runners: MappingRunner[] = [];
  private running = false;
  private readonly wakers = new Set<() => void>();
  private batches = 0;

  constructor(private readonly options: StreamPollersOptions) {}

  register(template: CfnTemplate, resolver: IntrinsicResolver, resources: ReadonlyMap<string, LocalResource>): void {
    for (const [id, resource] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const props = resource.Properties ?? {};
      const streamArn = resolver.resolveString(props.EventSourceArn);
      const fromTable = [...resources.values()].some((candidate) => candidate.attributes.StreamArn === streamArn);
      if (!fromTable || props.Enabled === false) continue; // SQS mappings are local/sqs.ts's
      this.mappings.push(mappingFrom(id, props, streamArn, resolver, resources));
    }
  }

  get registered(): readonly StreamMapping[] {
    return this.mappings;
  }

  start(): void {
    this.running = true;
    for (const mapping of this.mappings) {
      const runner = new MappingRunner(mapping, this.options.lambdas.get(mapping.functionKey), this, this.options);
      this.runners.push(runner);
      runner.start();
    }
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Batches being delivered to a function right now. */
  get inFlight(): number {
    return this.batches;
  }

  /** @internal counts a batch in flight for the drain. */
  track<T>(work: Promise<T>): Promise<T> {
    this.batches++;
    return work.finally(() => this.batches--);
  }

  /** Sleeps, but wakes at once when polling stops. */
  sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  /** Reads and delivers nothing more; batches in flight finish and are checkpointed (stop() waits for them). */
  stopPolling(): void {
    this.running = false;
    for (const wake of [...this.wakers]) wake();
  }

  async stop(): Promise<void> {
    this.stopPolling();
    await Promise.allSettled(this.runners.map((runner) => runner.stopped()));
  }
}

function mappingFrom(
  id: string,
  props: Record<string, unknown>,
  streamArn: string,
  resolver: IntrinsicResolver,
  resources: ReadonlyMap<string, LocalResource>,
): StreamMapping {
  const destination = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
  let onFailure: StreamMapping['onFailure'];
  if (destination !== undefined) {
    const arn = resolver.resolveString(destination);
    const queue = [...resources.values()].find((candidate) => candidate.attributes.Arn === arn && candidate.attributes.QueueUrl);
    if (!queue) throw new Error(`Stream mapping ${id}: the local cloud can only send failures to an SQS queue of the template, not ${arn}`);
    onFailure = { arn, queueUrl: queue.attributes.QueueUrl as string };
  }
  const startingPosition = String(props.StartingPosition ?? 'TRIM_HORIZON');
  if (startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST') {
    throw new Error(`Stream mapping ${id}: StartingPosition ${startingPosition} is not one DynamoDB Streams has`);
  }
  return {
    id,
    streamArn,
    functionKey: resolver.resolveString(props.FunctionName),
    batchSize: Number(props.BatchSize ?? 100),
    batchingWindowMs: Number(props.MaximumBatchingWindowInSeconds ?? 0) * 1000,
    startingPosition,
    filters: parseFilterPatterns(props.FilterCriteria),
    bisect: props.BisectBatchOnFunctionError === true,
    maxRetries: Number(props.MaximumRetryAttempts ?? -1),
    maxRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
    reportsItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
    onFailure,
  };
}

/** One mapping: discovers the stream's shards and runs a reader for each one whose parent is done. */
class MappingRunner {
  private readonly checkpoints: StreamCheckpoints;
  private readonly readers = new Map<string, Promise<void>>();
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly mapping: StreamMapping,
    private readonly fn: LocalFunction,
    private readonly pollers: StreamPollers,
    private readonly options: StreamPollersOptions,
  ) {
    this.checkpoints = new StreamCheckpoints(options.checkpointDir, mapping.id, mapping.streamArn);
  }

  start(): void {
    this.loop = this.discover();
  }

  async stopped(): Promise<void> {
    await this.loop;
    await Promise.allSettled(this.readers.values());
    await this.checkpoints.flushed();
  }

  private log(line: string): void {
    this.options.log?.(`Stream mapping ${this.mapping.id}: ${line}`);
  }

  private async discover(): Promise<void> {
    // Shards open when the mapping is first created start at its StartingPosition; shards found later
    // (children of those) are read from their start, as Lambda does.
    let first = this.checkpoints.fresh;
    while (this.pollers.isRunning) {
      try {
        const shards = await this.shards();
        const known = new Set(shards.map((shard) => shard.ShardId as string));
        for (const shard of shards) {
          const shardId = shard.ShardId as string;
          if (this.readers.has(shardId) || this.checkpoints.isFinished(shardId)) continue;
          const parent = shard.ParentShardId;
          // A trimmed parent (no longer described) is as good as finished.
          if (parent && known.has(parent) && !this.checkpoints.isFinished(parent)) continue;
          const latest = first && this.mapping.startingPosition === 'LATEST';
          this.readers.set(
            shardId,
            new ShardReader(this.mapping, shardId, this.fn, this.pollers, this.checkpoints, this.options, latest).run(),
          );
        }
        first = false;
      } catch (error) {
        this.log(`could not describe the stream (${(error as Error).message}); trying again.`);
      }
      await this.pollers.sleep(DISCOVER_MS);
    }
  }

  private async shards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.options.streams.send(
        new DescribeStreamCommand({ StreamArn: this.mapping.streamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }
}

/** One shard: reads it in order, delivers batches one at a time, and checkpoints each outcome. */
class ShardReader {
  private iterator: string | undefined;
  /** The shard is closed and read to its end. */
  private ended = false;
  /** Records read that pass the filters and are not done yet, oldest first. */
  private readonly buffer: StreamEventRecord[] = [];
  /** The last sequence number read, filtered out or not; undefined before the first record. */
  private readThrough: string | undefined;
  /** The last sequence number checkpointed. */
  private checkpointed: string | undefined;
  private windowStart = 0;
  private readonly retries: ShardRetries;

  constructor(
    private readonly mapping: StreamMapping,
    private readonly shardId: string,
    private readonly fn: LocalFunction,
    private readonly pollers: StreamPollers,
    private readonly checkpoints: StreamCheckpoints,
    private readonly options: StreamPollersOptions,
    private latest: boolean,
  ) {
    const kept = checkpoints.of(shardId);
    this.checkpointed = kept?.sequenceNumber;
    this.readThrough = kept?.sequenceNumber;
    this.latest ||= kept?.latest === true && !kept.sequenceNumber;
    this.retries = new ShardRetries({ bisect: mapping.bisect, maxRetries: mapping.maxRetries });
  }

  private log(line: string): void {
    this.options.log?.(`Stream mapping ${this.mapping.id}, ${this.shardId}: ${line}`);
  }

  async run(): Promise<void> {
    if (this.latest && !this.checkpointed) await this.checkpoints.save(this.shardId, { latest: true });
    while (this.pollers.isRunning) {
      try {
        if (!(await this.step())) return;
      } catch (error) {
        this.log(`${(error as Error).message}; trying again.`);
        this.iterator = undefined;
        await this.pollers.sleep(1000);
      }
    }
  }

  /** One round: read, then deliver a batch if one is due. False once the shard is finished. */
  private async step(): Promise<boolean> {
    if (!this.ended && this.buffer.length < this.mapping.batchSize) await this.read();
    if (!this.buffer.length) {
      if (this.readThrough !== this.checkpointed || this.ended) await this.checkpoint(this.readThrough, this.ended);
      if (this.ended) return false;
      await this.pollers.sleep(POLL_MS);
      return true;
    }
    await this.setAsideExpired();
    if (!this.buffer.length) return true;
    const full = this.buffer.length >= this.mapping.batchSize;
    const waited = Date.now() - this.windowStart >= this.mapping.batchingWindowMs;
    if (!full && !waited && !this.ended && !this.retries.owing) {
      await this.pollers.sleep(Math.min(POLL_MS, this.mapping.batchingWindowMs - (Date.now() - this.windowStart)));
      return true;
    }
    if (!this.pollers.isRunning) return true; // stopping: nothing new goes out
    await this.deliver(this.buffer.slice(0, this.retries.nextSize(this.buffer.length, this.mapping.batchSize)));
    return true;
  }

  private async read(): Promise<void> {
    this.iterator ??= await this.newIterator();
    if (!this.iterator) return;
    const { Records = [], NextShardIterator } = await this.options.streams.send(
      new GetRecordsCommand({ ShardIterator: this.iterator, Limit: 1000 }),
    );
    this.iterator = NextShardIterator;
    if (!NextShardIterator) this.ended = true;
    if (Records.length && !this.buffer.length) this.windowStart = Date.now();
    for (const record of Records) {
      const event = lambdaRecord(record, this.mapping.streamArn);
      this.readThrough = event.dynamodb.SequenceNumber;
      // Records the filters leave out are never delivered; the checkpoint moves past them all the same.
      if (passesFilters(event, this.mapping.filters)) this.buffer.push(event);
    }
  }

  private async newIterator(): Promise<string | undefined> {
    const input: GetShardIteratorCommandInput = {
      StreamArn: this.mapping.streamArn,
      ShardId: this.shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    };
    if (this.readThrough) Object.assign(input, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: this.readThrough });
    else if (this.latest) input.ShardIteratorType = 'LATEST';
    try {
      return (await this.options.streams.send(new GetShardIteratorCommand(input))).ShardIterator;
    } catch (error) {
      if ((error as Error).name !== 'TrimmedDataAccessException') throw error;
      this.log(`its checkpoint ${this.readThrough} has expired from the stream (24 h); reading from the oldest record kept.`);
      return (
        await this.options.streams.send(
          new GetShardIteratorCommand({ ...input, ShardIteratorType: 'TRIM_HORIZON', SequenceNumber: undefined }),
        )
      ).ShardIterator;
    }
  }

  /** MaximumRecordAgeInSeconds: records at the head that are older are set aside unprocessed. */
  private async setAsideExpired(): Promise<void> {
    if (this.mapping.maxRecordAgeSeconds < 0) return;
    const oldest = Date.now() / 1000 - this.mapping.maxRecordAgeSeconds;
    let expired = 0;
    while (expired < this.buffer.length && (this.buffer[expired]?.dynamodb.ApproximateCreationDateTime ?? Infinity) < oldest) expired++;
    if (!expired) return;
    this.retries.reset();
    const records = this.buffer.slice(0, expired);
    if (!(await this.sendToFailureDestination(records, 'RecordAgeExceeded', 0))) return;
    await this.done(expired);
  }

  private async deliver(batch: StreamEventRecord[]): Promise<void> {
    const sequenceNumbers = batch.map((record) => record.dynamodb.SequenceNumber);
    const result = await this.pollers.track(this.fn.invoke({ Records: batch }));
    const outcome: BatchOutcome = batchOutcome(result, sequenceNumbers, this.mapping.reportsItemFailures);
    this.windowStart = Date.now();
    const settled = this.retries.settle(batch.length, outcome);
    if (!this.pollers.isRunning) {
      // Stopping: what succeeded is checkpointed; anything else is delivered again by the next start, never skipped.
      if (settled.succeeded) await this.done(settled.succeeded);
      return;
    }
    if (settled.exhausted) {
      const failed = batch.slice(settled.succeeded, settled.succeeded + settled.exhausted);
      const error = result.ok ? undefined : `${result.error.errorType}: ${result.error.errorMessage}`;
      this.log(
        `${failed.length} record${failed.length === 1 ? '' : 's'} (sequence numbers ${failed[0]?.dynamodb.SequenceNumber} to ${failed.at(-1)?.dynamodb.SequenceNumber}) failed ${settled.invocations} times${error ? ` (${error})` : ''}; set aside${this.mapping.onFailure ? ` to ${this.mapping.onFailure.arn}` : ''}.`,
      );
      if (!(await this.sendToFailureDestination(failed, 'RetryAttemptsExhausted', settled.invocations, outcome))) return;
    }
    if (settled.succeeded + settled.exhausted) await this.done(settled.succeeded + settled.exhausted);
    if (settled.retrying) await this.pollers.sleep(RETRY_MS);
  }

  /** The first `count` buffered records are done (processed or set aside): drop them and checkpoint. */
  private async done(count: number): Promise<void> {
    const last = this.buffer.splice(0, count).at(-1)?.dynamodb.SequenceNumber;
    // With nothing left buffered, everything read is done, including the records the filters left out.
    await this.checkpoint(this.buffer.length ? last : this.readThrough, false);
  }

  private async checkpoint(sequenceNumber: string | undefined, finished: boolean): Promise<void> {
    this.checkpointed = sequenceNumber;
    await this.checkpoints.save(this.shardId, {
      ...(sequenceNumber ? { sequenceNumber } : {}),
      ...(finished ? { finished } : {}),
      ...(this.latest && !sequenceNumber ? { latest: true } : {}),
    });
  }

  /**
   * Sends the failure record Lambda sends for a stream batch (its shard and sequence numbers, not the records) to the
   * mapping's OnFailure queue. Without a destination the records are just skipped, as in Lambda. False when the local
   * cloud began to stop before it could be sent: the records stay, to be delivered again by the next start.
   */
  private async sendToFailureDestination(
    records: StreamEventRecord[],
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded',
    invocations: number,
    outcome?: BatchOutcome,
  ): Promise<boolean> {
    const destination = this.mapping.onFailure;
    if (!destination) return true;
    const body = failureRecord({
      mapping: this.mapping,
      shardId: this.shardId,
      functionArn: this.fn.definition.functionArn,
      records,
      condition,
      invocations,
      functionError: outcome?.kind === 'failed' && outcome.functionError,
    });
    for (;;) {
      try {
        await this.options.sqs.send(new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: JSON.stringify(body) }));
        return true;
      } catch (error) {
        if (!this.pollers.isRunning) return false;
        this.log(`could not send to the failure destination ${destination.arn} (${(error as Error).message}); trying again.`);
        await this.pollers.sleep(1000);
      }
    }
  }
}

/** What Lambda sends to a stream mapping's failure destination: where the records are, not the records. */
export function failureRecord(input: {
  mapping: Pick<StreamMapping, 'streamArn'>;
  shardId: string;
  functionArn: string;
  records: StreamEventRecord[];
  condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
  invocations: number;
  functionError: boolean;
}) {
  const arrival = (record: StreamEventRecord | undefined) =>
    new Date((record?.dynamodb.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000).toISOString();
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.invocations,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(input.functionError ? { functionError: 'Unhandled' } : {}),
    },
    version: '1.0',
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: input.records[0]?.dynamodb.SequenceNumber,
      endSequenceNumber: input.records.at(-1)?.dynamodb.SequenceNumber,
      approximateArrivalOfFirstRecord: arrival(input.records[0]),
      approximateArrivalOfLastRecord: arrival(input.records.at(-1)),
      batchSize: input.records.length,
      streamArn: input.mapping.streamArn,
    },
  };
}

/** A record from GetRecords as Lambda delivers it: DynamoDB JSON (binary as base64), epoch seconds, the source's ARN and region. */
export function lambdaRecord(record: _Record, streamArn: string): StreamEventRecord {
  const data = record.dynamodb ?? {};
  const created = data.ApproximateCreationDateTime as Date | number | undefined;
  const image = (value: Record<string, AttributeValue> | undefined) => (value ? wireImage(value) : undefined);
  const dynamodb: StreamEventRecord['dynamodb'] = {
    ...(created !== undefined
      ? { ApproximateCreationDateTime: Math.floor((created instanceof Date ? created.getTime() : created * 1000) / 1000) }
      : {}),
    Keys: image(data.Keys),
    ...(data.NewImage ? { NewImage: image(data.NewImage) } : {}),
    ...(data.OldImage ? { OldImage: image(data.OldImage) } : {}),
    SequenceNumber: data.SequenceNumber as string,
    SizeBytes: data.SizeBytes,
    StreamViewType: data.StreamViewType,
  };
  return {
    eventID: record.eventID as string,
    eventName: record.eventName as string,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    dynamodb,
    eventSourceARN: streamArn,
    ...(record.userIdentity ? { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } } : {}),
  };
}

function wireImage(image: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, wireValue(value)]));
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function wireValue(value: AttributeValue): unknown {
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: wireImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(wireValue) };
  const { $unknown: _unknown, ...rest } = value as AttributeValue & { $unknown?: unknown };
  // DynamoDB Local 3.x sends an empty map without its type, `{}` for `{ "M": {} }` (awslabs/amazon-dynamodb-local-samples#37);
  // DynamoDB does not, and unmarshall refuses a value without one. Orders hold empty maps (`refunds`, `returnsById`).
  if (Object.keys(rest).length === 0) return { M: {} };
  return rest;
}
