import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/keys.js';
import type { Endpoints } from '../../local/cloud.js';
import { freePortBlock, isAlive } from '../../local/processes.js';
import { cloud, documentClient } from './client.js';
import { orderAwaitingPick, product } from './lifecycle.js';
import { killStarted, startNpm, untilUp } from './npm-start-process.js';

// The table's stream feeds the record-ledger function through the local cloud's stream poller (local/streams.ts):
// real DynamoDB Local stream, real fauxqs queue and S3.

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

const s3For = (endpoints: Pick<Endpoints, 's3'>) => new S3Client({ endpoint: endpoints.s3, forcePathStyle: true, region, credentials });
const sqs = new SQSClient({ endpoint: cloud.sqs, region, credentials });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every key under ledger/ in the ledger bucket. */
async function ledgerKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'ledger/', ContinuationToken: token }));
    found.push(...(page.Contents ?? []).map((object) => object.Key as string));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** An order item as the ledger reads it, captured now: what the workflow's capture leaves on the stream. */
function capturedOrder(orderId: string, at = new Date().toISOString()) {
  const money = (amount: number) => ({ amount, currency: 'EUR' });
  return {
    ...keys.order(orderId),
    orderId,
    items: [{ sku: 'STREAM-MUG', lineTotal: money(1200) }],
    shipping: money(495),
    tax: money(0),
    total: money(1695),
    capture: { captureId: `cap_${orderId}`, amount: money(1695), at },
  };
}

const today = () => new Date().toISOString().slice(0, 10);

/** The sequence number of the stream record that carries the item keyed `pk`, read from the stream itself. */
async function sequenceNumberOf(pk: string): Promise<{ sequenceNumber: string; shardId: string; streamArn: string }> {
  const db = new DynamoDBClient({ endpoint: cloud.dynamodb, region, credentials });
  const streams = new DynamoDBStreamsClient({ endpoint: cloud.dynamodb, region, credentials });
  const { Table } = await db.send(new DescribeTableCommand({ TableName: cloud.tableName }));
  const streamArn = Table?.LatestStreamArn as string;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of StreamDescription?.Shards ?? []) {
    let iterator = (
      await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const record = page.Records?.find((candidate) => candidate.dynamodb?.Keys?.pk?.S === pk);
      if (record) return { sequenceNumber: record.dynamodb?.SequenceNumber as string, shardId: shard.ShardId as string, streamArn };
      iterator = page.Records?.length ? page.NextShardIterator : undefined;
    }
  }
  throw new Error(`no stream record for ${pk}`);
}

interface FailureRecord {
  requestContext: { condition: string; approximateInvokeCount: number; functionArn: string; requestId: string };
  responseContext: { statusCode: number };
  version: string;
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    batchSize: number;
    streamArn: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
  };
}

describe('the ledger from the table stream', () => {
  it('an order placed and paid gets its sale in the ledger bucket, under its day', async () => {
    // Arrange
    const s3 = s3For(cloud);
    const item = await product();

    // Act
    const { orderId } = await orderAwaitingPick([{ sku: item.sku, quantity: 2 }]);

    // Assert
    const key = `ledger/dt=${today()}/${orderId}.sale.jsonl`;
    const body = await until(`the ledger object ${key}`, async () => {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: cloud.buckets.FinanceLedger as string, Key: key }));
        return await object.Body?.transformToString();
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    });
    const lines = body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { entryId: string; orderId: string; type: string; amount: number; currency: string });
    expect(lines.find((line) => line.type === 'SALE')).toMatchObject({
      entryId: `${orderId}:SALE:${item.sku}`,
      orderId,
      amount: 1980,
      currency: 'EUR',
    });
    expect(lines.every((line) => line.orderId === orderId)).toBe(true);
    expect((await ledgerKeys(s3, cloud.buckets.FinanceLedger as string)).filter((candidate) => candidate.includes(`/${orderId}.`))).toEqual(
      [key],
    );
  });

  it('a record that always fails goes to the StreamFailures queue, and the records after it on the shard are still recorded', async () => {
    // Arrange
    const s3 = s3For(cloud);
    const run = `${process.pid}-${Date.now().toString(36)}`;
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'Conveyor-FinanceStreamFailures' }));
    expect(QueueUrls).toHaveLength(1);
    const QueueUrl = QueueUrls[0];

    // Act: an order item the ledger refuses (no lines, no totals), then a good one right behind it on the shard.
    const poison = `stream-poison-${run}`;
    await documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: { ...keys.order(poison), orderId: poison } }));
    const before = `stream-before-${run}`;
    await documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: capturedOrder(before) }));

    // Assert: the failure record names the shard and a range holding the poison record, after 1 + 5 retries.
    const poisoned = await sequenceNumberOf(keys.order(poison).pk);
    const inRange = (info: FailureRecord['DDBStreamBatchInfo']) =>
      BigInt(info.startSequenceNumber) <= BigInt(poisoned.sequenceNumber) &&
      BigInt(poisoned.sequenceNumber) <= BigInt(info.endSequenceNumber);
    const failure = await until(
      'the failure record',
      async () => {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const message of Messages) {
          const record = JSON.parse(message.Body as string) as FailureRecord & { requestContext: { functionArn: string } };
          // Both consumers give up on the poison record; this test follows the ledger's (the profiles' stays queued).
          if (!inRange(record.DDBStreamBatchInfo) || !record.requestContext.functionArn.includes('FinancerecordledgerFunction')) continue;
          await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
          return record;
        }
        return undefined;
      },
      45_000,
    );
    expect(failure).toMatchObject({
      requestContext: {
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 6,
        functionArn: expect.stringContaining(':function:Conveyor-FinancerecordledgerFunction'),
      },
      responseContext: { statusCode: 200 },
      version: '1.0',
      DDBStreamBatchInfo: {
        shardId: poisoned.shardId,
        streamArn: poisoned.streamArn,
        startSequenceNumber: poisoned.sequenceNumber,
        batchSize: expect.any(Number),
        approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        approximateArrivalOfLastRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    });

    // Act: another good order, written after the poison record was set aside.
    const after = `stream-after-${run}`;
    await documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: capturedOrder(after) }));

    // Assert: the shard went on.
    const bucket = cloud.buckets.FinanceLedger as string;
    const recorded = await until('both good orders in the ledger', async () => {
      const found = await ledgerKeys(s3, bucket);
      return [before, after].every((orderId) => found.includes(`ledger/dt=${today()}/${orderId}.sale.jsonl`)) ? found : undefined;
    });
    expect(recorded.filter((key) => key.includes(poison))).toEqual([]);
  });
});

// ——— Restarts: `npm start` (persisted state) killed and stopped while the stream is being worked through ———

const cleanups: (() => void)[] = [];
afterEach(() => {
  killStarted();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** How many times the ledger function recorded each order's sale, from its log (appended to across runs). */
function recordings(stateDir: string): Map<string, number> {
  const file = path.join(stateDir, 'logs', 'record-ledger.log');
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes('Ledger movement recorded')) continue;
    const { orderId } = JSON.parse(line) as { orderId: string };
    counts.set(orderId, (counts.get(orderId) ?? 0) + 1);
  }
  return counts;
}

async function writeOrders(endpoints: Endpoints, orderIds: string[]): Promise<void> {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints.dynamodb, region, credentials }));
  for (let i = 0; i < orderIds.length; i += 25) {
    const requests = orderIds.slice(i, i + 25).map((orderId) => ({ PutRequest: { Item: capturedOrder(orderId) } }));
    const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [endpoints.table]: requests } }));
    expect(UnprocessedItems?.[endpoints.table] ?? []).toEqual([]);
  }
  db.destroy();
}

/** Waits until the ledger function has begun on these orders, and returns how many it had recorded then. */
async function untilUnderway(stateDir: string, orderIds: string[]): Promise<number> {
  return until('the ledger function at work', async () => {
    const counts = recordings(stateDir);
    const done = orderIds.filter((orderId) => counts.has(orderId)).length;
    return done > 0 ? done : undefined;
  });
}

describe('stream checkpoints across restarts', () => {
  it('after a SIGKILL and a Ctrl-C mid-stream, the next start goes on from the checkpoint: every order in the ledger once, none skipped', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-streams-'));
    cleanups.push(() => {
      const pidFile = path.join(stateDir, 'dynamodb.pid');
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8'));
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      if (process.env.CONVEYOR_KEEP_STATE) console.log(`[streams restart] state and logs kept in ${stateDir}`);
      else rmSync(stateDir, { recursive: true, force: true });
    });
    const port = await freePortBlock(6);
    const ORDERS = 400;
    const crashed = Array.from({ length: ORDERS }, (_, i) => `restart-kill-${i}`);
    const stopped = Array.from({ length: ORDERS }, (_, i) => `restart-int-${i}`);

    // Arrange and act: orders on the stream, then SIGKILL as soon as the ledger function is at work on them.
    const first = startNpm(stateDir, port);
    let endpoints = await untilUp(first, stateDir, 120_000);
    await writeOrders(endpoints, crashed);
    const atKill = await untilUnderway(stateDir, crashed);
    first.child.kill('SIGKILL');
    await first.exit;

    // The next start goes on; more orders, then Ctrl-C (SIGINT to the process group) while it works on them.
    const second = startNpm(stateDir, port);
    endpoints = await untilUp(second, stateDir, 120_000);
    await writeOrders(endpoints, stopped);
    const atStop = await untilUnderway(stateDir, stopped);
    process.kill(-(second.child.pid as number), 'SIGINT');
    expect(await second.exit).toBe(0);

    // A third start finishes the stream.
    const third = startNpm(stateDir, port);
    endpoints = await untilUp(third, stateDir, 120_000);
    const s3 = s3For(endpoints);
    const bucket = endpoints.buckets.FinanceLedger as string;
    const all = [...crashed, ...stopped];
    const found = await until(
      'every order in the ledger',
      async () => {
        const listed = await ledgerKeys(s3, bucket);
        return all.every((orderId) => listed.includes(`ledger/dt=${today()}/${orderId}.sale.jsonl`)) ? listed : undefined;
      },
      60_000,
    );
    process.kill(-(third.child.pid as number), 'SIGINT');
    expect(await third.exit).toBe(0);

    // Assert: both stops came mid-stream; every order has exactly one object; after the Ctrl-C (which checkpoints
    // every batch it lets finish) no order was recorded twice, and after the crash none was skipped.
    const counts = recordings(stateDir);
    console.log(
      `[streams restart] recorded at the SIGKILL: ${atKill}/${ORDERS}, at the Ctrl-C: ${atStop}/${ORDERS}; ` +
        `recorded twice after the crash: ${crashed.filter((orderId) => (counts.get(orderId) ?? 0) > 1).length}`,
    );
    expect(atKill).toBeLessThan(ORDERS);
    expect(atStop).toBeLessThan(ORDERS);
    expect(found.filter((key) => key.includes('/restart-'))).toHaveLength(all.length);
    expect(stopped.filter((orderId) => counts.get(orderId) !== 1)).toEqual([]);
    expect(crashed.filter((orderId) => (counts.get(orderId) ?? 0) < 1)).toEqual([]);
    // One checkpoint file per stream mapping (the ledger's and the profiles'), written atomically (no temporary file left behind).
    const files = readdirSync(path.join(stateDir, 'streams')).sort();
    expect(files).toEqual([
      expect.stringMatching(/^FinanceprojectcustomersFunction.*\.json$/),
      expect.stringMatching(/^FinancerecordledgerFunction.*\.json$/),
    ]);
    const ledgerFile = files.find((file) => file.startsWith('Financerecordledger')) as string;
    const checkpoints = JSON.parse(readFileSync(path.join(stateDir, 'streams', ledgerFile), 'utf8')) as {
      shards: Record<string, { sequenceNumber?: string }>;
    };
    expect(Object.values(checkpoints.shards).some((shard) => shard.sequenceNumber)).toBe(true);
  }, 300_000);
});
