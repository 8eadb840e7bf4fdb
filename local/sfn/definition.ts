/** Preparing ASL definitions for the engine, and walking their states. */

export type AslState = Record<string, unknown> & { Type: string; Resource?: string };
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  [key: string]: unknown;
}

/** setTimeout's ceiling (~24.8 days): AWS's task default (99999999 s) cannot be scheduled in Node. */
export const MAX_TIMER_SECONDS = 2_147_483;

/** Every state of a definition, nested Map and Parallel states included, with its name. */
export function* allStates(definition: Pick<AslDefinition, 'States'>): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(definition.States)) {
    yield [name, state];
    for (const branch of (state.Branches as AslDefinition[] | undefined) ?? []) yield* allStates(branch);
    const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
    if (processor) yield* allStates(processor);
  }
}

export interface PrepareOptions {
  /** Multiplies Retry intervals and Wait durations (tests use e.g. 0.01); 1 keeps AWS's timing. */
  timeScale: number;
}

/**
 * Returns a copy the engine runs as AWS would: Task states get AWS's "no timeout" default instead of the
 * engine's 60 s, and Retry/Wait times are scaled. Validation happens on the original, so scaled
 * fractions never reach the validator.
 */
export function prepareForEngine(definition: AslDefinition, options: PrepareOptions): AslDefinition {
  const copy = structuredClone(definition);
  for (const [, state] of allStates(copy)) {
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    }
    // A longer timer would overflow Node's and fire at once.
    if (typeof state.TimeoutSeconds === 'number') state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
    if (options.timeScale === 1) continue;
    for (const retrier of (state.Retry as Record<string, number>[] | undefined) ?? []) {
      retrier.IntervalSeconds = (retrier.IntervalSeconds ?? 1) * options.timeScale;
      if (retrier.MaxDelaySeconds !== undefined) retrier.MaxDelaySeconds *= options.timeScale;
    }
    if (state.Type === 'Wait' && typeof state.Seconds === 'number') state.Seconds *= options.timeScale;
  }
  return copy;
}
