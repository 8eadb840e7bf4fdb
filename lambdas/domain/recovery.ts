import type { OrderStatus } from './orders.js';
import type { WorkflowRun } from './workflow.js';

/**
 * How long an order may stay in a status the workflow only passes through before the reconciler looks
 * at it. Resting statuses (ON_HOLD, FULFILLING, SHIPPED) wait on people or carriers, with their own
 * timeouts in the workflow; a failed run in any status is found through the failed runs instead.
 */
export const STAGE_DEADLINE_MINUTES = { PENDING: 15, CONFIRMED: 15, PACKED: 60 } as const satisfies Partial<Record<OrderStatus, number>>;
export type TransientStatus = keyof typeof STAGE_DEADLINE_MINUTES;

/** A failed run is redriven this often; after that it needs a person (OrdersStuck raises an alarm). */
export const MAX_REDRIVES = 5;

/** Errors that end a run on purpose: redriving them would fail the same way. */
const DELIBERATE_FAILURES = new Set(['OrderNotFound', 'DeliveryOverdue']);

export type RecoveryAction = 'start' | 'redrive' | 'wait' | 'stuck';

/**
 * What to do about an order whose run failed, or that sat in a transient status past its deadline:
 * start a run that never started (a crash between writing the order and starting it), redrive a
 * failed or timed-out one, leave a running one alone (it is retrying), or call it stuck (a person stopped
 * it, or it failed too often: the OrdersStuck alarm and the console's attention list show it).
 */
export function recoveryAction(status: OrderStatus, run: WorkflowRun | undefined): RecoveryAction {
  if (!run) return status === 'PENDING' ? 'start' : 'stuck';
  if (run.status === 'RUNNING') return 'wait';
  // A run someone stopped (StopExecution) is theirs to decide on: redriving it on their behalf would also re-run
  // the state it stopped in, and a wait for a person (HoldForReview, CreatePickTask) cannot be entered twice.
  if (run.status === 'ABORTED') return 'stuck';
  if (run.status === 'FAILED' || run.status === 'TIMED_OUT') {
    if (run.error && DELIBERATE_FAILURES.has(run.error)) return 'stuck';
    return (run.redriveCount ?? 0) < MAX_REDRIVES ? 'redrive' : 'stuck';
  }
  return 'stuck';
}
