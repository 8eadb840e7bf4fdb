import * as z from 'zod';
import type { StoredOrder } from './orders.js';

/** What Step Functions says an execution is doing. */
export const RunStatus = z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']).meta({ id: 'ExecutionStatus' });
export type RunStatus = z.infer<typeof RunStatus>;

/** One order's workflow run as GET /ops/executions lists it. */
export const ListedRun = z
  .object({
    orderId: z.string(),
    executionArn: z.string(),
    status: z.string(),
    startDate: z.iso.datetime(),
    stopDate: z.iso.datetime().optional(),
  })
  .meta({ id: 'ExecutionSummary' });
export type ListedRun = z.infer<typeof ListedRun>;

export const RunList = z.object({ items: z.array(ListedRun), nextCursor: z.string().nullable() }).meta({ id: 'ExecutionList' });
export type RunList = z.infer<typeof RunList>;

/** One event of an order's workflow run, as ops see it. */
export interface WorkflowEvent {
  id?: number;
  type?: string;
  stateName?: string;
  timestamp?: string;
  error?: string;
  cause?: string;
}

export interface WorkflowRun {
  executionArn: string;
  status?: string;
  startDate?: string;
  stopDate?: string;
  /** The error a failed run ended with (its name, as the state machine's Retry/Catch see it). */
  error?: string;
  /** How often the run was redriven already. */
  redriveCount?: number;
}

/**
 * What answering a wait (fraud review, pick task, delivery) came to: `gone` when the workflow no
 * longer waits on that token — it was answered already, or the wait timed out. The caller decides
 * what that means for its request; it is never a server fault.
 */
export type WaitAnswer = 'answered' | 'gone';

/** The order workflow port: one run per order, named by its order id. */
export interface OrderWorkflow {
  /** Starts the order's run; `already-started` when it exists (starting twice is harmless). */
  start(order: StoredOrder): Promise<'started' | 'already-started'>;
  completeWait(token: string, output: unknown): Promise<WaitAnswer>;
  failWait(token: string, error: string, cause: string): Promise<WaitAnswer>;
  /** The order's run, or undefined when it has none. */
  describe(orderId: string): Promise<WorkflowRun | undefined>;
  /** Every event of the order's run, oldest first (empty when it has none). */
  history(orderId: string): Promise<WorkflowEvent[]>;
  /** Redrives a failed run from where it failed; `not-redrivable` when it is running, succeeded or gone. */
  redrive(orderId: string): Promise<'redriven' | 'not-redrivable'>;
  /** The order ids of runs that FAILED, TIMED_OUT or were ABORTED (and not redriven since). */
  failedRuns(): Promise<string[]>;
  /** Runs newest first, optionally in one status, a page at a time. */
  listRuns(page: { status?: RunStatus; limit: number; cursor?: string }): Promise<RunList>;
}
