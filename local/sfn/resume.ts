import { type AslDefinition, allStates } from './definition.js';
import { detailsKey, type ExecutionRecord, jsonText } from './history.js';
import { tokenIn } from './tokens.js';

/**
 * What a resumed execution does first in the state it resumes at, from what its history says the
 * state's task had done when the local cloud stopped:
 * - `succeeded` / `failed`: the task had finished; its recorded outcome is handed to the engine
 *   without calling the service again (ResultSelector, ResultPath, Retry and Catch then apply).
 * - `awaiting`: the call had returned and the task waited for its token; it waits for that same
 *   token again (the workflow may have stored it, e.g. on the order), for what is left of its timeout.
 * - `inDoubt`: the call was in flight (a crash, or a drain that ran out of time): it is made again,
 *   with the same task token; see local/sfn/in-doubt.ts for writes that had already been applied.
 * With no replay, the state had not called anything yet and simply runs.
 */
export type TaskReplay =
  | { kind: 'succeeded'; output: unknown }
  | { kind: 'failed'; error: string; cause: string }
  | { kind: 'awaiting'; token: string }
  | { kind: 'inDoubt'; token?: string };

export interface ResumePoint {
  /** The top-level state to start at. */
  state: string;
  input: unknown;
  /** When that state was entered (ms since the epoch), to keep its TimeoutSeconds from restarting. */
  enteredAt?: number;
  replay?: TaskReplay;
  /** Set when the history's last state is not in the definition any more (the template changed): no place to go on from. */
  unknownState?: string;
}

/** The error of an execution that stopped because the local cloud did, not because of its own doing. */
export const INTERRUPTED = 'Local.Interrupted';

const parse = (value: unknown) => JSON.parse(jsonText(value)) as unknown;

/**
 * Where an execution goes on from. Its top-level state last entered, with that state's input; with
 * `replay` (an execution interrupted by a stop of the local cloud, not one that failed), also what
 * that state's task had already done. A Map or Parallel state re-runs whole.
 */
export function resumePoint(execution: ExecutionRecord, definition: AslDefinition, options: { replay: boolean }): ResumePoint {
  let point: ResumePoint = { state: definition.StartAt, input: JSON.parse(execution.input) };
  const known = new Set([...allStates(definition)].map(([name]) => name));
  let parameters: unknown;
  // A resume re-enters the state it resumes at: that entry continues the same visit of the state, so
  // what its task had done still holds (a replayed result leaves no task events of its own).
  let continuing = false;
  let interrupted = false;
  for (const event of execution.events) {
    const entered = event.stateEnteredEventDetails as { name: string; input: unknown } | undefined;
    const resumedEntry = continuing && entered?.name === point.state;
    continuing = event.type === 'ExecutionRedriven' && interrupted;
    if (/^Execution(Failed|TimedOut|Aborted)$/.test(event.type)) {
      interrupted = (event.executionFailedEventDetails as { error?: string } | undefined)?.error === INTERRUPTED;
    }
    if (entered) {
      if (entered.name in definition.States && !resumedEntry) {
        point = { state: entered.name, input: parse(entered.input), enteredAt: event.timestamp };
      } else if (!known.has(entered.name)) {
        point.unknownState = entered.name;
      }
      continue;
    }
    if (!options.replay || definition.States[point.state]?.Type !== 'Task') continue;
    const details = (event[detailsKey(event.type)] ?? {}) as Record<string, unknown>;
    switch (event.type) {
      case 'TaskScheduled':
      case 'LambdaFunctionScheduled':
        parameters = parse(details.parameters ?? details.input);
        point.replay = { kind: 'inDoubt', token: tokenIn(parameters, execution.executionArn, point.state) };
        break;
      case 'TaskSubmitted': {
        const token = tokenIn(parameters, execution.executionArn, point.state);
        if (token) point.replay = { kind: 'awaiting', token };
        break;
      }
      case 'TaskSucceeded':
      case 'LambdaFunctionSucceeded':
        point.replay = { kind: 'succeeded', output: parse(details.output) };
        break;
      case 'TaskFailed':
      case 'LambdaFunctionFailed':
      case 'TaskTimedOut':
      case 'LambdaFunctionTimedOut':
        point.replay = { kind: 'failed', error: String(details.error ?? 'States.TaskFailed'), cause: String(details.cause ?? '') };
        break;
    }
  }
  return point;
}
