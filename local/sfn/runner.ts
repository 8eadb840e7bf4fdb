import { StateMachine } from 'aws-local-stepfunctions';
import { type AslDefinition, type AslState, allStates } from './definition.js';
import { type EngineEvent, recordEngineEvent } from './engine-events.js';
import { SfnApiError, TaskError } from './errors.js';
import { appendEvent, type ExecutionRecord, type ExecutionStatus } from './history.js';
import { INTERRUPTED, type TaskReplay } from './resume.js';
import type { SfnStore, StateMachineRecord } from './store.js';
import { TASK_TOKEN_PLACEHOLDER, type TaskRecorder, type TaskServices, type TaskTraffic, taskHandler } from './tasks.js';
import { TaskTokens } from './tokens.js';

/** A state machine ready to run: its definition as written, and as the engine runs it. */
export interface Machine {
  record: StateMachineRecord;
  definition: AslDefinition;
  engineDefinition: AslDefinition;
  engine: StateMachine;
}

interface Running {
  execution: ExecutionRecord;
  abort: () => void;
  stopRequest?: { error?: string; cause?: string };
  /** The state whose task is held back because the service drains: it has called nothing yet. */
  parkedAt?: string;
  /** Service calls in flight, by state name. */
  calls: Map<string, number>;
}

/** Where a resumed execution starts (local/sfn/resume.ts), and the TimeoutSeconds left to that state. */
export interface ResumeAt {
  state: string;
  replay?: TaskReplay;
  timeoutSeconds?: number;
}

/** What stopping the service found the running executions doing. */
export interface InterruptReport {
  /** Between steps: held back before their next task, or in a Retry backoff. */
  paused: number;
  /** Waiting for a task token (a review, the warehouse, the carrier). */
  waiting: number;
  /** In the middle of a service call that did not end in time; the next start makes it again. */
  inDoubt: number;
}

type EngineRun = ReturnType<StateMachine['run']>;

export interface SfnRunnerOptions extends Omit<TaskServices, 'tokens' | 'traffic'> {
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
  /** While draining, tasks that have not called their service yet are held back (parked). */
  private draining = false;
  private readonly parked: (() => void)[] = [];
  /** Once stopped, nothing more is recorded: what the executions had done is what the next start resumes from. */
  private stopped = false;
  private readonly finished: Record<string, number> = {};
  private readonly entered: Record<string, number> = {};

  constructor({ store, ...services }: SfnRunnerOptions) {
    this.store = store;
    this.services = { ...services, tokens: this.tokens, traffic: this.traffic() };
  }

  private traffic(): TaskTraffic {
    const stoppedError = () => new TaskError(INTERRUPTED, 'The local Step Functions service stopped.');
    return {
      admit: (executionArn, stateName) => {
        if (this.stopped) return Promise.reject(stoppedError());
        if (!this.draining) return Promise.resolve();
        const running = this.running.get(executionArn);
        if (running) running.parkedAt = stateName;
        // Rejected once the service stops, so the engine's own timers for the task are cleared.
        return new Promise<void>((_resolve, reject) => this.parked.push(() => reject(stoppedError())));
      },
      begin: (executionArn, stateName) => {
        const calls = this.running.get(executionArn)?.calls;
        calls?.set(stateName, (calls.get(stateName) ?? 0) + 1);
        let ended = false;
        return () => {
          if (ended || !calls) return;
          ended = true;
          const left = (calls.get(stateName) ?? 1) - 1;
          if (left) calls.set(stateName, left);
          else calls.delete(stateName);
        };
      },
    };
  }

  /** Starts an execution, from the machine's StartAt or (a redrive) from `resume.state`, replaying what that state had done. */
  run(machine: Machine, execution: ExecutionRecord, input: unknown, resume?: ResumeAt): void {
    let engine = machine.engine;
    if (resume) {
      const states = { ...machine.engineDefinition.States };
      const resumed = states[resume.state];
      if (resumed && resume.timeoutSeconds !== undefined) states[resume.state] = { ...resumed, TimeoutSeconds: resume.timeoutSeconds };
      engine = new StateMachine({ ...machine.engineDefinition, StartAt: resume.state, States: states } as never, {
        validationOptions: { noValidate: true },
      });
    }
    const recorder = this.recorder(execution);
    const run = engine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(machine, recorder, resume) as never },
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
    const running: Running = { execution, abort: run.abort, calls: new Map() };
    this.running.set(execution.executionArn, running);
    void this.recordEvents(run.eventLogs, recorder);
    this.finishWhenDone(run.result, execution, running);
  }

  private recorder(execution: ExecutionRecord): TaskRecorder {
    return {
      executionArn: execution.executionArn,
      record: (type, details) => {
        // A stopped execution's history ends with its ExecutionAborted: the engine's late events (the aborted
        // task's failure) come after it and are not part of it.
        if (this.stopped || execution.status !== 'RUNNING') return;
        appendEvent(execution, type, details);
        this.store.executionChanged(execution);
      },
    };
  }

  private taskHandlers(machine: Machine, recorder: TaskRecorder, resume?: ResumeAt): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of allStates(machine.definition)) {
      if (state.Type !== 'Task') continue;
      const task = state as AslState & { Resource: string; TimeoutSeconds?: number };
      if (name !== resume?.state) {
        handlers[name] = taskHandler(task, this.services, recorder, name);
        continue;
      }
      // Only the first run of the resumed state replays; should the workflow come back to it, it runs anew.
      let replay = resume.replay;
      const takeReplay = () => {
        const once = replay;
        replay = undefined;
        return once;
      };
      const timeoutSeconds = resume.timeoutSeconds ?? task.TimeoutSeconds;
      handlers[name] = taskHandler({ ...task, TimeoutSeconds: timeoutSeconds }, this.services, recorder, name, takeReplay);
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
    this.close(execution, status, details);
  }

  private close(execution: ExecutionRecord, status: ExecutionStatus, details: { output?: string; error?: string; cause?: string }): void {
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

  /** From now on no task calls its service: a task about to do so waits (parked) until the service stops. */
  drain(): void {
    this.draining = true;
  }

  /** Service calls in flight, by state name (what a drain waits for). */
  callsInFlight(): Map<string, number> {
    const total = new Map<string, number>();
    for (const running of this.running.values()) {
      for (const [state, count] of running.calls) total.set(state, (total.get(state) ?? 0) + count);
    }
    return total;
  }

  /**
   * Stops every running execution where it is and records it as interrupted (FAILED, `Local.Interrupted`,
   * the state it was at in the cause), so the next start resumes it. Nothing is recorded afterwards: a
   * call still in flight stays in doubt in the history, and is made again on resume.
   */
  interrupt(why: string): InterruptReport {
    const report: InterruptReport = { paused: 0, waiting: 0, inDoubt: 0 };
    if (this.stopped) return report;
    this.stopped = true;
    for (const running of [...this.running.values()]) {
      const { execution } = running;
      const inFlight = [...running.calls.keys()];
      let where: string;
      if (inFlight.length) {
        report.inDoubt++;
        where = `calling the service of ${inFlight.join(', ')}, which had not answered yet (the next start calls it again)`;
      } else if (this.tokens.waitingFor(execution.executionArn)) {
        report.waiting++;
        where = 'waiting for a task token (the same token completes it after the restart)';
      } else {
        report.paused++;
        where = running.parkedAt ? `about to run ${running.parkedAt}` : 'between steps';
      }
      running.abort();
      this.close(execution, 'FAILED', {
        error: INTERRUPTED,
        cause: `${why} while this execution was ${where}; the next start resumes it.`,
      });
    }
    for (const release of this.parked.splice(0)) release();
    this.tokens.stop();
    return report;
  }

  /** Interrupts what still runs (see interrupt) and ends every task token wait. */
  stop(): void {
    this.interrupt('The local Step Functions service stopped');
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
