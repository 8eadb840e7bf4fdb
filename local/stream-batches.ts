import type { InvocationResult } from './lambda-runtime.js';

/**
 * How a stream batch came back, as Lambda reads it: succeeded, failed as a whole (a function error, or with
 * ReportBatchItemFailures an answer it cannot read), or failed from the `from`-th record on (the lowest
 * sequence number among `batchItemFailures`).
 */
export type BatchOutcome = { kind: 'succeeded' } | { kind: 'failed'; functionError: boolean } | { kind: 'failedFrom'; from: number };

/**
 * Reads an invocation's result. Without ReportBatchItemFailures only a function error fails the batch. With it,
 * no answer, no list or an empty list mean all succeeded; a list whose entries are not `{ itemIdentifier }` naming
 * a record of the batch fails the whole batch, as Lambda treats it.
 */
export function batchOutcome(result: InvocationResult, sequenceNumbers: string[], reportsItemFailures: boolean): BatchOutcome {
  if (!result.ok) return { kind: 'failed', functionError: true };
  if (!reportsItemFailures || result.payload === null || result.payload === undefined) return { kind: 'succeeded' };
  if (typeof result.payload !== 'object' || Array.isArray(result.payload)) return { kind: 'failed', functionError: false };
  const failures = (result.payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'succeeded' };
  if (!Array.isArray(failures)) return { kind: 'failed', functionError: false };
  if (failures.length === 0) return { kind: 'succeeded' };
  let from = sequenceNumbers.length;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? sequenceNumbers.indexOf(id) : -1;
    if (index < 0) return { kind: 'failed', functionError: false };
    from = Math.min(from, index);
  }
  return { kind: 'failedFrom', from };
}

export interface RetryPolicy {
  /** BisectBatchOnFunctionError. */
  bisect: boolean;
  /** MaximumRetryAttempts; -1 retries until the records expire. */
  maxRetries: number;
}

/** What a settled batch means for the shard: records done from its head, and after them records set aside (retries exhausted). */
export interface Settlement {
  /** Records from the head of the batch that succeeded: the checkpoint moves past them. */
  succeeded: number;
  /** Records after those that exhausted their retries: sent to the failure destination, and the checkpoint moves past them too. */
  exhausted: number;
  /** How many times the exhausted records were delivered (the failure record's approximateInvokeCount). */
  invocations: number;
  /** Whether the same records come again (wait a little first). */
  retrying: boolean;
}

/**
 * The retries of one shard, as Lambda runs them: a failed batch is retried (from its first failed record when
 * item failures are reported) until MaximumRetryAttempts, then set aside so the shard goes on. With bisect on,
 * a batch that fails as a whole is split in two and each half delivered on its own before anything newer;
 * splitting is not a retry, so a bad record ends up alone and is retried MaximumRetryAttempts times.
 */
export class ShardRetries {
  /** Batches still owed before newer records: their sizes and the retries each has had. */
  private readonly owed: { size: number; retries: number }[] = [];

  constructor(private readonly policy: RetryPolicy) {}

  /** The size of the next batch out of `available` buffered records. */
  nextSize(available: number, batchSize: number): number {
    return Math.min(this.owed[0]?.size ?? batchSize, available);
  }

  /** Whether a retry or a bisected half is owed (it goes out without waiting for a batching window). */
  get owing(): boolean {
    return this.owed.length > 0;
  }

  /** Forgets what was owed (records were removed from the head some other way, e.g. expired). */
  reset(): void {
    this.owed.length = 0;
  }

  settle(size: number, outcome: BatchOutcome): Settlement {
    let current = { size, retries: 0 };
    if (this.owed[0]?.size === size) current = this.owed.shift() as typeof current;
    else this.owed.length = 0; // not the batch that was owed: start afresh
    if (outcome.kind === 'succeeded') return { succeeded: size, exhausted: 0, invocations: current.retries + 1, retrying: false };
    if (outcome.kind === 'failed' && this.policy.bisect && size > 1) {
      const half = Math.ceil(size / 2);
      this.owed.unshift({ size: half, retries: current.retries }, { size: size - half, retries: current.retries });
      return { succeeded: 0, exhausted: 0, invocations: current.retries + 1, retrying: true };
    }
    const succeeded = outcome.kind === 'failedFrom' ? outcome.from : 0;
    const rest = size - succeeded;
    const retries = current.retries + 1;
    if (this.policy.maxRetries >= 0 && retries > this.policy.maxRetries) {
      return { succeeded, exhausted: rest, invocations: retries, retrying: false };
    }
    this.owed.unshift({ size: rest, retries });
    return { succeeded, exhausted: 0, invocations: retries, retrying: true };
  }
}
