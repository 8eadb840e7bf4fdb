import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/keys.js';
import { localReportSources, problemCounts, type ReconciliationReport, reconciliationReport } from '../../local/reconciliation.js';
import { cloud, documentClient } from './client.js';

const run = promisify(execFile);
const tag = `${process.pid}${Date.now().toString(36)}`;
const ids = {
  stranded: `ord_recstranded${tag}`,
  unpaidWait: `ord_recnostock${tag}`,
  rejected: `ord_recrejected${tag}`,
  cancelled: `ord_reccancelled${tag}`,
  sku: `REC-${tag}`,
  skewedSku: `REC-SKEW-${tag}`,
};
const twoHoursAgo = new Date(Date.now() - 7_200_000).toISOString();
const sqs = new SQSClient({ endpoint: cloud.sqs, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
let deadLetters: string | undefined;

const put = (item: Record<string, unknown>) => documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: item }));
const order = (orderId: string, status: string) => put({ ...keys.order(orderId), orderId, status, updatedAt: twoHoursAgo });
const payment = (orderId: string, status: string, extra: Record<string, unknown> = {}) =>
  put({
    ...keys.authorization(orderId, `auth_${orderId}`),
    orderId,
    authorizationId: `auth_${orderId}`,
    status,
    amount: { amount: 900, currency: 'EUR' },
    ...extra,
  });

/** Plants one of every problem the report looks for, under ids no other test uses. */
async function plantProblems(): Promise<void> {
  // Packed two hours ago and never shipped, with no run (PACKED, not PENDING: the shared cloud's reconciler would start a PENDING one).
  await order(ids.stranded, 'PACKED');
  await order(ids.unpaidWait, 'FULFILLING'); // waiting for the warehouse with no run and no reservation
  await order(ids.rejected, 'REJECTED');
  await put({ ...keys.reservation(ids.rejected), orderId: ids.rejected, items: { [ids.sku]: 2 } }); // a finished order holding stock
  await put({ ...keys.stock(ids.sku), onHand: 10, reserved: 2, available: 8 }); // consistent with the leaked reservation
  await put({ ...keys.stock(ids.skewedSku), onHand: 10, reserved: 1, available: 8 }); // 10 − 1 ≠ 8, and no order holds 1
  await payment(ids.rejected, 'AUTHORIZED'); // never voided
  await order(ids.cancelled, 'CANCELLED');
  await payment(ids.cancelled, 'CAPTURED', { captureId: `cap_${ids.cancelled}`, refundedAmount: 300 }); // refunded in part only
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `reconcile-test-${tag}-dlq` }));
  deadLetters = QueueUrl;
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"poison":true}' }));
}

function assertFindsEveryPlantedProblem(report: ReconciliationReport): void {
  const stuck = new Map(report.stuckOrders.map((entry) => [entry.orderId, entry.why]));
  expect(stuck.get(ids.stranded)).toBe('PACKED past its 60-minute deadline; it has no workflow run');
  expect(stuck.get(ids.unpaidWait)).toMatch(/no workflow run/);
  expect(report.missingReservations).toContainEqual({ orderId: ids.unpaidWait, orderStatus: 'FULFILLING' });
  expect(report.leakedReservations).toContainEqual({ orderId: ids.rejected, orderStatus: 'REJECTED', items: { [ids.sku]: 2 } });
  expect(report.stockViolations.find((stock) => stock.sku === ids.sku)).toBeUndefined();
  expect(report.stockViolations.find((stock) => stock.sku === ids.skewedSku)?.broken).toEqual([
    'available ≠ onHand − reserved',
    'reserved ≠ 0 units held by reservations',
  ]);
  expect(report.openAuthorizations).toContainEqual({
    orderId: ids.rejected,
    authorizationId: `auth_${ids.rejected}`,
    orderStatus: 'REJECTED',
  });
  expect(report.orphanCaptures).toContainEqual(
    expect.objectContaining({ orderId: ids.cancelled, captured: 900, refunded: 300, orderStatus: 'CANCELLED' }),
  );
  expect(report.queues.find((queue) => queue.url === deadLetters)).toMatchObject({ deadLetter: true, visible: 1 });
  for (const count of Object.values(problemCounts(report))) expect(count).toBeGreaterThan(0);
}

describe('the reconciliation report', () => {
  afterAll(async () => {
    if (deadLetters) await sqs.send(new DeleteQueueCommand({ QueueUrl: deadLetters }));
  });

  it('finds every kind of problem planted in the table and queues', async () => {
    // Arrange
    await plantProblems();

    // Act
    const report = await reconciliationReport(await localReportSources(cloud));

    // Assert
    assertFindsEveryPlantedProblem(report);
  });

  it('is what npm run reconcile prints, exiting 1 when anything is wrong', async () => {
    // Arrange: the problems of the test above (planted once; the order of tests in a file is fixed).
    const folder = mkdtempSync(path.join(tmpdir(), 'conveyor-reconcile-'));
    const endpointsFile = path.join(folder, 'endpoints.json');
    writeFileSync(endpointsFile, JSON.stringify(cloud));

    // Act
    const failed = await run(process.execPath, ['--import', 'tsx', 'local/reconcile-cli.ts', '--endpoints', endpointsFile, '--json'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );

    // Assert
    rmSync(folder, { recursive: true, force: true });
    expect(failed?.code).toBe(1);
    assertFindsEveryPlantedProblem(JSON.parse(failed?.stdout ?? '{}') as ReconciliationReport);
  });
});
