import { describe, expect, it } from 'vitest';
import type { InvocationResult } from '../../local/lambda-runtime.js';
import { batchOutcome, ShardRetries } from '../../local/stream-batches.js';

const ok = (payload: unknown): InvocationResult => ({ ok: true, payload, coldStart: false });
const error: InvocationResult = { ok: false, error: { errorType: 'Error', errorMessage: 'boom' }, coldStart: false };
const sequence = ['101', '102', '103', '104'];

describe('batchOutcome', () => {
  it('reads no answer, no list and an empty list as success', () => {
    for (const payload of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(batchOutcome(ok(payload), sequence, true)).toEqual({ kind: 'succeeded' });
    }
  });

  it('fails from the lowest sequence number reported, whatever the order of the list', () => {
    const answer = { batchItemFailures: [{ itemIdentifier: '104' }, { itemIdentifier: '102' }] };
    expect(batchOutcome(ok(answer), sequence, true)).toEqual({ kind: 'failedFrom', from: 1 });
  });

  it('fails the whole batch on an answer it cannot read, or an identifier not in the batch', () => {
    for (const payload of [
      'done',
      [],
      { batchItemFailures: 'x' },
      { batchItemFailures: [{}] },
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ itemIdentifier: '999' }] },
    ]) {
      expect(batchOutcome(ok(payload), sequence, true)).toEqual({ kind: 'failed', functionError: false });
    }
  });

  it('ignores the answer without ReportBatchItemFailures, and fails on a function error either way', () => {
    expect(batchOutcome(ok({ batchItemFailures: [{ itemIdentifier: '102' }] }), sequence, false)).toEqual({ kind: 'succeeded' });
    expect(batchOutcome(error, sequence, true)).toEqual({ kind: 'failed', functionError: true });
  });
});

describe('ShardRetries', () => {
  it('retries a failing batch whole, then sets it aside after MaximumRetryAttempts', () => {
    const retries = new ShardRetries({ bisect: false, maxRetries: 2 });
    const failed = { kind: 'failed', functionError: true } as const;
    expect(retries.settle(4, failed)).toMatchObject({ succeeded: 0, exhausted: 0, retrying: true });
    expect(retries.nextSize(10, 100)).toBe(4);
    expect(retries.settle(4, failed)).toMatchObject({ exhausted: 0, retrying: true });
    expect(retries.settle(4, failed)).toEqual({ succeeded: 0, exhausted: 4, invocations: 3, retrying: false });
    expect(retries.nextSize(10, 100)).toBe(10);
  });

  it('checkpoints before the first reported failure and retries from it', () => {
    const retries = new ShardRetries({ bisect: true, maxRetries: 1 });
    expect(retries.settle(4, { kind: 'failedFrom', from: 2 })).toMatchObject({ succeeded: 2, exhausted: 0, retrying: true });
    expect(retries.nextSize(2, 100)).toBe(2);
    expect(retries.settle(2, { kind: 'failedFrom', from: 0 })).toEqual({ succeeded: 0, exhausted: 2, invocations: 2, retrying: false });
  });

  it('bisects a failing batch down to the bad record without counting the splits as retries', () => {
    const retries = new ShardRetries({ bisect: true, maxRetries: 1 });
    const failed = { kind: 'failed', functionError: true } as const;
    const succeeded = { kind: 'succeeded' } as const;
    // Records 0–7; record 5 is bad.
    expect(retries.settle(8, failed).retrying).toBe(true);
    expect(retries.nextSize(8, 100)).toBe(4); // 0–3
    expect(retries.settle(4, succeeded).succeeded).toBe(4);
    expect(retries.nextSize(4, 100)).toBe(4); // 4–7, owed before anything newer
    expect(retries.settle(4, failed).succeeded).toBe(0);
    expect(retries.nextSize(4, 100)).toBe(2); // 4–5
    retries.settle(2, failed);
    expect(retries.nextSize(4, 100)).toBe(1); // 4
    expect(retries.settle(1, succeeded).succeeded).toBe(1);
    expect(retries.nextSize(3, 100)).toBe(1); // 5
    expect(retries.settle(1, failed)).toMatchObject({ exhausted: 0, retrying: true });
    expect(retries.settle(1, failed)).toEqual({ succeeded: 0, exhausted: 1, invocations: 2, retrying: false });
    expect(retries.owing).toBe(true);
    expect(retries.nextSize(2, 100)).toBe(2); // 6–7, the other half of 4–7, still owed
    expect(retries.settle(2, succeeded).succeeded).toBe(2);
    expect(retries.owing).toBe(false);
  });

  it('retries forever with MaximumRetryAttempts -1', () => {
    const retries = new ShardRetries({ bisect: false, maxRetries: -1 });
    for (let i = 0; i < 50; i++) expect(retries.settle(3, { kind: 'failed', functionError: true }).exhausted).toBe(0);
  });
});
