import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoReport } from '../../local/demo/summary.js';
import { api, cloud } from './client.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-demo-'));
const endpointsFile = path.join(dir, 'endpoints.json');
writeFileSync(endpointsFile, JSON.stringify(cloud));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `npm run demo -- …args` as a child process; resolves with its exit code and output, whatever the code. */
function demo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'local/demo-cli.ts', ...args], {
    cwd: root,
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

describe('npm run demo', () => {
  it('drives orders down every path, ends each where its plan leads, and says so truthfully', async () => {
    // Arrange
    const reportFile = path.join(dir, 'report.json');

    // Act
    const run = await demo('--endpoints', endpointsFile, '--orders', '24', '--deadline', '90', '--report', reportFile);

    // Assert: exit code 0, and a summary naming every path's outcome.
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const outcome of [
      'DELIVERED',
      'REJECTED PAYMENT_DECLINED',
      'REJECTED OUT_OF_STOCK',
      'REJECTED FRAUD_SUSPECTED',
      'CANCELLED CUSTOMER_REQUESTED',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`\\d+  ${outcome}\\s`));
    }
    expect(run.stdout).toContain('Every order ended, or rests, where its plan leads.');
    expect(run.stdout).toMatch(/return requested → refunded\s+[1-9]/);
    expect(run.stdout).toMatch(/Emails delivered: [1-9]\d*/);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as DemoReport;
    expect(report.orders).toHaveLength(24);
    expect(report.orders.filter((order) => order.problem)).toEqual([]);
    expect(report.orders.some((order) => order.path === 'returned' && order.returnStatus === 'REFUNDED')).toBe(true);
    expect(report.orders.some((order) => order.path === 'held-approved' && order.status === 'DELIVERED')).toBe(true);
    expect(report.deadLetters.flatMap((queue) => queue.ours)).toEqual([]);

    // …and what it claims of each order is what the API says of it.
    const claimed = report.orders.map((order) => ({ orderId: order.orderId, status: order.status, statusReason: order.statusReason }));
    const actual = await Promise.all(
      report.orders.map(async (order) => {
        const { body } = await api<{ status: string; statusReason?: string }>('GET', `/orders/${order.orderId}`, { key: cloud.keys.ops });
        return { orderId: order.orderId, status: body.status, statusReason: body.statusReason };
      }),
    );
    expect(actual).toEqual(claimed);
    const counted = Object.fromEntries(report.outcomes.map((entry) => [entry.outcome, entry.count]));
    const recounted: Record<string, number> = {};
    for (const order of actual) {
      const outcome = order.statusReason ? `${order.status} ${order.statusReason}` : order.status;
      recounted[outcome] = (recounted[outcome] ?? 0) + 1;
    }
    expect(counted).toEqual(recounted);
  }, 120_000);

  it('says in one sentence to start the local cloud when there is none, with exit code 1', async () => {
    // Arrange: one endpoints file that is missing, one whose API does not answer.
    const nowhere = path.join(dir, 'stopped.json');
    writeFileSync(nowhere, JSON.stringify({ ...cloud, api: 'http://127.0.0.1:9' }));

    // Act
    const missing = await demo('--endpoints', path.join(dir, 'missing.json'));
    const stopped = await demo('--endpoints', nowhere);

    // Assert
    for (const run of [missing, stopped]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/run `npm start` in another terminal/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refuses a wrong option with exit code 2 and prints its usage on --help', async () => {
    const wrong = await demo('--orders', 'many');
    const help = await demo('--help');

    expect(wrong).toMatchObject({ code: 2, stderr: expect.stringContaining('--orders must be a whole number') });
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('npm run demo') });
  });
});
