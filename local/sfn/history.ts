/** Execution history events shaped like the Step Functions API's (GetExecutionHistory). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** Milliseconds since the epoch; the API sends seconds. */
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** The details key AWS uses for an event type: TaskStateEntered → stateEnteredEventDetails. */
export function detailsKey(type: string): string {
  const stateEvent = /^(Task|Choice|Pass|Wait|Parallel|Map|Succeed|Fail)State(Entered|Exited)$/.exec(type);
  if (stateEvent) return `state${stateEvent[2]}EventDetails`;
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/**
 * A JSON document in a history event, serialized only when someone reads the history or it is
 * written to disk: most events are never read, and state data can be large.
 */
export class LazyJson {
  private text: string | undefined;
  constructor(private readonly value: unknown) {}
  toJSON(): string {
    this.text ??= JSON.stringify(this.value ?? null);
    return this.text;
  }
}

export const json = (value: unknown) => new LazyJson(value);

/** The JSON text of an event field, whether still lazy or already a string (loaded from disk). */
export const jsonText = (value: unknown): string => (value instanceof LazyJson ? value.toJSON() : String(value));

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: number;
  events: HistoryEvent[];
}

/** Appends an event with the next id; details become `<type>EventDetails` as in AWS (none for e.g. TaskStarted without details). */
export function appendEvent(execution: ExecutionRecord, type: string, details?: Record<string, unknown>): HistoryEvent {
  const previous = execution.events.at(-1);
  const event: HistoryEvent = {
    id: (previous?.id ?? 0) + 1,
    previousEventId: previous?.id ?? 0,
    timestamp: Date.now(),
    type,
    ...(details ? { [detailsKey(type)]: details } : {}),
  };
  execution.events.push(event);
  return event;
}
