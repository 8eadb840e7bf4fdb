import { StateMachine } from 'aws-local-stepfunctions';
import { type AslDefinition, type AslState, allStates } from './definition.js';
import { type EngineEvent, recordEngineEvent } from './engine-events.js';
import { SfnApiError } from './errors.js';
import { appendEvent, type ExecutionRecord, type ExecutionStatus } from './history.js';
import type { SfnStore, StateMachineRecord } from './store.js';
import { TASK_TOKEN_PLACEHOLDER, type TaskRecorder, type TaskServices, taskHandler } from './tasks.js';
import { TaskTokens } from './tokens.js';

/** A state machine ready to run: its definition as written, and as the engine runs it. */
export interface Machine {
  record: StateMachineRecord;
  definition: AslDefinition;
  engineDefinition: AslDefinition;
  engine: StateMachine;
}

interface Running {
  abort: () => void;
  stopRequest?: { error?: string; cause?: string };
}

type EngineRun = ReturnType<StateMachine['run']>;

export interface SfnRunnerOptions extends Omit<TaskServices, 'tokens'> {
  store: SfnStore;
}

/**
 * Runs executions on the aws-local-stepfunctions engine: builds their task handlers, records the
 * engine's events in their history, hands out and completes task tokens, and finishes them.
 */
export class SfnRunner {
  private readonly running = new Map<string, Running>();
  private readonly tokens = new TaskTokens();
  private readonly store: SfnStore;
  private readonly services: TaskServices;
  /** Once stopped, running executions stay RUNNING on disk, to be marked interrupted by the next start. */
  private stopped = false;
  private readonly finished: Record<string, number> = {};
  private readonly entered: Record<string, number> = {};

  constructor({ store, ...services }: SfnRunnerOptions) {
    this.store = store;
    this.services = { ...services, tokens: this.tokens };
  }

  /** Starts an execution, from the machine's StartAt or (a redrive) from `startAt`. */
  run(machine: Machine, execution: ExecutionRecord, input: unknown, startAt?: string): void {
    const engine = startAt
      ? new StateMachine({ ...machine.engineDefinition, StartAt: startAt } as never, { validationOptions: { noValidate: true } })
      : machine.engine;
    const recorder = this.recorder(execution);
    const run = engine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(machine, recorder) as never },
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: execution.executionArn,
          Name: execution.name,
          RoleArn: machine.record.roleArn,
          RedriveCount: execution.redriveCount,
        },
        StateMachine: { Id: machine.record.stateMachineArn, Name: machine.record.name },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });
    const running: Running = { abort: run.abort };
    this.running.set(execution.executionArn, running);
    void this.recordEvents(run.eventLogs, recorder);
    this.finishWhenDone(run.result, execution, running);
  }

  private recorder(execution: ExecutionRecord): TaskRecorder {
    return {
      executionArn: execution.executionArn,
      record: (type, details) => {
        if (this.stopped) return;
        appendEvent(execution, type, details);
        this.store.executionChanged(execution);
      },
    };
  }

  private taskHandlers(machine: Machine, recorder: TaskRecorder): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of allStates(machine.definition)) {
      if (state.Type === 'Task') handlers[name] = taskHandler(state as AslState & { Resource: string }, this.services, recorder, name);
    }
    return handlers;
  }

  private async recordEvents(eventLogs: EngineRun['eventLogs'], recorder: TaskRecorder): Promise<void> {
    for await (const event of eventLogs) {
      recordEngineEvent(event as EngineEvent, recorder.record);
      const name = (event as EngineEvent).state?.name;
      if (event.type === 'StateEntered' && name) this.entered[name] = (this.entered[name] ?? 0) + 1;
    }
  }

  private finishWhenDone(result: EngineRun['result'], execution: ExecutionRecord, running: Running): void {
    result.then(
      async (output) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (running.stopRequest) this.finish(execution, 'ABORTED', running.stopRequest);
        else this.finish(execution, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
      },
      async (error: Error) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (error.name === 'ExecutionTimeoutError') {
          this.finish(execution, 'TIMED_OUT', {
            error: 'States.Timeout',
            cause: 'The execution ran longer than the state machine TimeoutSeconds.',
          });
          return;
        }
        const cause = (error.cause ?? error) as Error;
        this.finish(execution, 'FAILED', { error: cause.name, cause: cause.message });
      },
    );
  }

  /** Ends an execution with `status`: closes its tokens and records the closing history event. */
  finish(execution: ExecutionRecord, status: ExecutionStatus, details: { output?: string; error?: string; cause?: string }): void {
    if (this.stopped) return;
    this.running.delete(execution.executionArn);
    this.tokens.closeExecution(execution.executionArn);
    execution.status = status;
    execution.stopDate = Date.now();
    this.finished[status] = (this.finished[status] ?? 0) + 1;
    const eventType = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      TIMED_OUT: 'ExecutionTimedOut',
      ABORTED: 'ExecutionAborted',
    }[status as 'SUCCEEDED'];
    if (status === 'SUCCEEDED') {
      execution.output = details.output;
      appendEvent(execution, eventType, { output: details.output });
    } else {
      execution.error = details.error;
      execution.cause = details.cause;
      appendEvent(execution, eventType, { error: details.error, cause: details.cause });
    }
    this.store.executionChanged(execution);
  }

  /** Aborts a running execution (it finishes ABORTED with `request`); false when it is not running. */
  stopExecution(executionArn: string, request: { error?: string; cause?: string }): boolean {
    const running = this.running.get(executionArn);
    if (!running) return false;
    running.stopRequest = request;
    this.tokens.closeExecution(executionArn);
    running.abort();
    return true;
  }

  sendTaskSuccess(input: { taskToken?: string; output?: string }) {
    let output: unknown;
    try {
      output = JSON.parse(input.output ?? '');
    } catch {
      throw new SfnApiError('InvalidOutput', 'Invalid output: the output is not valid JSON.');
    }
    this.tokens.succeed(input.taskToken, output);
    return {};
  }

  sendTaskFailure(input: { taskToken?: string; error?: string; cause?: string }) {
    this.tokens.fail(input.taskToken, input.error, input.cause);
    return {};
  }

  sendTaskHeartbeat(input: { taskToken?: string }) {
    this.tokens.heartbeat(input.taskToken);
    return {};
  }

  /** Aborts every running execution without finishing it, and ends every task token wait. */
  stop(): void {
    this.stopped = true;
    for (const running of this.running.values()) running.abort();
    this.tokens.stop();
  }

  /** How often a state (by name, in any machine) was entered since start-up (for benchmarks and diagnostics). */
  timesEntered(stateName: string): number {
    return this.entered[stateName] ?? 0;
  }

  /** Executions that have finished since start-up, by status (for benchmarks and diagnostics). */
  counts(): Record<string, number> {
    return { ...this.finished };
  }
}
