import { randomBytes } from 'node:crypto';
import { SfnApiError, TaskError } from './errors.js';

interface Waiter {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  heartbeatMs?: number;
  heartbeatTimer?: NodeJS.Timeout;
}

/**
 * Task tokens for `.waitForTaskToken` states: issued when the task starts, completed by
 * SendTaskSuccess/Failure, kept alive by SendTaskHeartbeat. Tokens are opaque to callers; inside they
 * name the execution and state so a malformed one is told apart from a finished one, as AWS does.
 */
export class TaskTokens {
  private readonly waiting = new Map<string, Waiter>();
  /** Tokens that can no longer be completed, and why (AWS answers TaskTimedOut or TaskDoesNotExist). */
  private readonly closed = new Map<string, 'timedOut' | 'done'>();

  /**
   * Hands out a token for a task that starts, or takes `resumed` (a token handed out before a restart,
   * which the workflow may already have stored, e.g. on the order) so that the same token completes it.
   */
  issue(
    executionArn: string,
    stateName: string,
    limits: { heartbeatSeconds?: number },
    resumed?: string,
  ): { token: string; completion: Promise<unknown> } {
    const token =
      resumed ??
      Buffer.from(JSON.stringify({ v: 1, x: executionArn, s: stateName, n: randomBytes(12).toString('base64url') })).toString('base64url');
    const completion = new Promise<unknown>((resolve, reject) => {
      const waiter: Waiter = {
        executionArn,
        resolve,
        reject,
        heartbeatMs: limits.heartbeatSeconds ? limits.heartbeatSeconds * 1000 : undefined,
      };
      this.waiting.set(token, waiter);
      this.armHeartbeat(token, waiter);
    });
    // The task may still be calling its service when the wait ends (a stop, a heartbeat timeout): no unhandled rejection.
    completion.catch(() => undefined);
    return { token, completion };
  }

  private armHeartbeat(token: string, waiter: Waiter): void {
    if (!waiter.heartbeatMs) return;
    clearTimeout(waiter.heartbeatTimer);
    waiter.heartbeatTimer = setTimeout(
      () => this.expire(token, 'States.HeartbeatTimeout', 'The task did not send a heartbeat in time.'),
      waiter.heartbeatMs,
    );
  }

  private settle(token: string, why: 'timedOut' | 'done'): Waiter | undefined {
    const waiter = this.waiting.get(token);
    if (!waiter) return undefined;
    clearTimeout(waiter.heartbeatTimer);
    this.waiting.delete(token);
    this.closed.set(token, why);
    return waiter;
  }

  private expire(token: string, error: string, cause: string): void {
    this.settle(token, 'timedOut')?.reject(new TaskError(error, cause));
  }

  private waiterFor(token: unknown): { token: string; waiter: Waiter } {
    if (typeof token !== 'string' || !isWellFormed(token)) {
      throw new SfnApiError('InvalidToken', 'Invalid Token: the task token is malformed.');
    }
    const waiter = this.waiting.get(token);
    if (waiter) return { token, waiter };
    if (this.closed.get(token) === 'timedOut')
      throw new SfnApiError('TaskTimedOut', 'Task Timed Out: the task this token belongs to has timed out.');
    throw new SfnApiError('TaskDoesNotExist', 'Task does not exist anymore');
  }

  succeed(token: unknown, output: unknown): void {
    const found = this.waiterFor(token);
    this.settle(found.token, 'done');
    found.waiter.resolve(output);
  }

  fail(token: unknown, error: string | undefined, cause: string | undefined): void {
    const found = this.waiterFor(token);
    this.settle(found.token, 'done');
    found.waiter.reject(new TaskError(error ?? '', cause ?? ''));
  }

  heartbeat(token: unknown): void {
    const found = this.waiterFor(token);
    this.armHeartbeat(found.token, found.waiter);
  }

  /** Ends a token whose task ended some other way (it failed, or timed out), without settling its waiter. */
  discard(token: string, why: 'timedOut' | 'done'): void {
    this.settle(token, why);
  }

  /** Closes every token of an execution that stopped (StopExecution, timeout, failure elsewhere). */
  closeExecution(executionArn: string): void {
    for (const [token, waiter] of this.waiting) {
      if (waiter.executionArn !== executionArn) continue;
      this.settle(token, 'done');
      waiter.reject(new TaskError('States.Runtime', 'The execution stopped.'));
    }
  }

  /** Whether a task of the execution waits for its token. */
  waitingFor(executionArn: string): boolean {
    for (const waiter of this.waiting.values()) if (waiter.executionArn === executionArn) return true;
    return false;
  }

  /** Tokens still waiting (for diagnostics and tests). */
  get pending(): number {
    return this.waiting.size;
  }

  /** Ends every wait (the service is stopping), so no engine timer outlives the process's work. */
  stop(): void {
    for (const [token, waiter] of [...this.waiting]) {
      this.settle(token, 'done');
      waiter.reject(new TaskError('States.Runtime', 'The local Step Functions service stopped.'));
    }
  }
}

/** The task token handed out for `stateName` of an execution, found in the parameters its task was called with. */
export function tokenIn(value: unknown, executionArn: string, stateName: string): string | undefined {
  if (typeof value === 'string') {
    if (value.length < 40 || !/^[A-Za-z0-9_-]+$/.test(value) || !isWellFormed(value)) return undefined;
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { x?: string; s?: string };
    return parsed.x === executionArn && parsed.s === stateName ? value : undefined;
  }
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) {
      const found = tokenIn(item, executionArn, stateName);
      if (found) return found;
    }
  }
  return undefined;
}

function isWellFormed(token: string): boolean {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: number; x?: string };
    return parsed.v === 1 && typeof parsed.x === 'string';
  } catch {
    return false;
  }
}
