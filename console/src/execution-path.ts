/**
 * The path an execution took, read from its history (GET /ops/orders/{id}/execution): each state entered, how
 * often its task was tried, the errors on the way, and how it was left. Pure: the unit tests run it in Node.
 */

export interface HistoryEvent {
  type: string;
  stateName?: string;
  timestamp: string;
  error?: string;
  cause?: string;
}

export type StepOutcome = 'running' | 'succeeded' | 'caught' | 'failed' | 'aborted' | 'timed-out';

export interface PathStep {
  state: string;
  /** The ASL state type (Task, Choice, Pass, …), from the history's event type. */
  type: string;
  enteredAt: string;
  /** Times its task was scheduled: more than 1 means retried. */
  attempts: number;
  errors: { error: string; cause?: string }[];
  outcome: StepOutcome;
  /** Entered again by a redrive. */
  redriven: boolean;
}

export interface ExecutionPath {
  steps: PathStep[];
  redrives: number;
  /** How the execution ended the last time it stopped, if it has. */
  end?: { outcome: 'succeeded' | 'failed' | 'aborted' | 'timed-out'; error?: string; cause?: string };
}

const ENDINGS: Record<string, NonNullable<ExecutionPath['end']>['outcome']> = {
  ExecutionSucceeded: 'succeeded',
  ExecutionFailed: 'failed',
  ExecutionAborted: 'aborted',
  ExecutionTimedOut: 'timed-out',
};

export function executionPath(events: readonly HistoryEvent[]): ExecutionPath {
  const path: ExecutionPath = { steps: [], redrives: 0 };
  let current: PathStep | undefined;
  let lastAttemptFailed = false;
  let afterRedrive = false;
  const leave = () => {
    if (current?.outcome === 'running') current.outcome = lastAttemptFailed ? 'caught' : 'succeeded';
  };
  for (const event of events) {
    const entered = /^(\w+)StateEntered$/.exec(event.type);
    if (entered) {
      leave();
      current = {
        state: event.stateName ?? '?',
        type: entered[1] as string,
        enteredAt: event.timestamp,
        attempts: 0,
        errors: [],
        outcome: 'running',
        redriven: afterRedrive,
      };
      path.steps.push(current);
      lastAttemptFailed = false;
      afterRedrive = false;
      continue;
    }
    if (/StateExited$/.test(event.type)) {
      leave();
      continue;
    }
    const ending = ENDINGS[event.type];
    if (ending) {
      if (current?.outcome === 'running') current.outcome = ending === 'succeeded' ? 'succeeded' : ending;
      path.end = { outcome: ending, error: event.error, cause: event.cause };
      continue;
    }
    if (event.type === 'ExecutionRedriven') {
      path.redrives++;
      path.end = undefined;
      afterRedrive = true;
      continue;
    }
    if (!current || event.type.startsWith('Execution')) continue;
    if (/Scheduled$/.test(event.type)) {
      current.attempts++;
      lastAttemptFailed = false;
    } else if (/Succeeded$/.test(event.type)) {
      lastAttemptFailed = false;
    } else if (event.error !== undefined || /(Failed|TimedOut)$/.test(event.type)) {
      current.errors.push({ error: event.error ?? event.type, cause: event.cause });
      lastAttemptFailed = true;
    }
  }
  return path;
}

/** The transitions the path took, as "From→To" pairs, to highlight in the graph. */
export function takenTransitions(path: ExecutionPath): Set<string> {
  const taken = new Set<string>();
  path.steps.forEach((step, i) => {
    const next = path.steps[i + 1];
    if (next && !next.redriven) taken.add(`${step.state}→${next.state}`);
  });
  return taken;
}
