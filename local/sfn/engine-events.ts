import { json } from './history.js';

/** What aws-local-stepfunctions reports in its event log (only the fields used here). */
export interface EngineEvent {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string; type: string };
  index?: number;
}

export type Record = (type: string, details?: { [key: string]: unknown }) => void;

/**
 * Translates the engine's events into Step Functions history events. Task events come from the task
 * handlers and execution-level events from the service, so those engine events are skipped here.
 */
export function recordEngineEvent(event: EngineEvent, record: Record): void {
  const state = event.state;
  switch (event.type) {
    case 'StateEntered':
      if (!state) return;
      record(`${state.type}StateEntered`, { name: state.name, input: json(state.input) });
      if (state.type === 'Parallel') record('ParallelStateStarted');
      if (state.type === 'Map') record('MapStateStarted');
      return;
    case 'StateExited':
      if (!state) return;
      if (state.type === 'Parallel') record('ParallelStateSucceeded');
      if (state.type === 'Map') record('MapStateSucceeded');
      record(`${state.type}StateExited`, { name: state.name, output: json(state.output) });
      return;
    case 'StateFailed':
      if (state?.type === 'Parallel') record('ParallelStateFailed');
      if (state?.type === 'Map') record('MapStateFailed');
      return;
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      record(event.type, { name: event.parentState?.name, index: event.index });
      return;
    default:
      // ExecutionStarted/Succeeded/Failed/Aborted/Timeout are recorded by the service with AWS's details;
      // StateRetried, StateCaught and ParallelBranch* have no counterpart in an AWS history.
      return;
  }
}
