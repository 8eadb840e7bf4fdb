import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template.js';
import { type AslDefinition, allStates, MAX_TIMER_SECONDS, prepareForEngine } from './definition.js';
import { SfnApiError } from './errors.js';
import { appendEvent, type ExecutionRecord } from './history.js';
import { INTERRUPTED, resumePoint, type TaskReplay } from './resume.js';
import type { Machine, ResumeAt, SfnRunner } from './runner.js';
import type { SfnStore, StateMachineRecord } from './store.js';
import { parseResource } from './tasks.js';

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
export const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
export const machineArn = (name: string) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
const executionArnOf = (machineName: string, name: string) =>
  `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${name}`;

function page<T>(items: T[], maxResults: unknown, nextToken: unknown, limit = 1000): { items: T[]; nextToken?: string } {
  const size = Math.min(Number(maxResults) > 0 ? Number(maxResults) : 100, limit);
  const offset = typeof nextToken === 'string' ? Number(Buffer.from(nextToken, 'base64url').toString()) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw new SfnApiError('InvalidToken', 'Invalid pagination token.');
  const slice = items.slice(offset, offset + size);
  return { items: slice, nextToken: offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined };
}

/** How the executions interrupted by the last stop went on. */
export interface ResumeReport {
  resumed: number;
  /** Waiting again for the task token they were waiting for. */
  waiting: number;
  /** Taking up the recorded result of a task that had finished just before the stop. */
  finishing: number;
  /** Calling again a service whose call was in flight at the stop. */
  inDoubt: number;
  notResumed: { executionArn: string; reason: string }[];
}

export interface SfnRegistryOptions {
  store: SfnStore;
  runner: SfnRunner;
  /** Scales Retry intervals and Wait states in the definitions the engine runs. */
  timeScale: number;
}

/**
 * The state machines and executions the API knows, kept in `store` between runs: creating, describing
 * and listing them, and starting, stopping and redriving executions (which `runner` runs).
 */
export class SfnRegistry {
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly store: SfnStore;
  private readonly runner: SfnRunner;
  private readonly timeScale: number;

  constructor(options: SfnRegistryOptions) {
    this.store = options.store;
    this.runner = options.runner;
    this.timeScale = options.timeScale;
    for (const record of this.store.loadMachines()) this.register(record);
    for (const execution of this.store.loadExecutions()) this.restore(execution);
  }

  /**
   * An execution still RUNNING on disk belongs to a local cloud that did not shut down (a crash, SIGKILL):
   * it is marked interrupted now, like those a clean stop marks, and resumeInterrupted() takes it up.
   */
  private restore(execution: ExecutionRecord): void {
    this.executions.set(execution.executionArn, execution);
    if (execution.status !== 'RUNNING') return;
    this.runner.finish(execution, 'FAILED', {
      error: INTERRUPTED,
      cause:
        'The local cloud did not shut down cleanly (a crash or SIGKILL) while this execution was running; it resumes from its last recorded step.',
    });
  }

  /** Executions the local cloud's last stop interrupted, which have not been resumed yet. */
  interrupted(): ExecutionRecord[] {
    return [...this.executions.values()].filter(
      (execution) =>
        execution.status === 'FAILED' && execution.error === INTERRUPTED && execution.events.at(-1)?.type === 'ExecutionFailed',
    );
  }

  /**
   * Redrives every interrupted execution from where it was (see redriveExecution). One that cannot be
   * (its machine or state is gone) stays FAILED for ops to look at; the reason is returned.
   */
  resumeInterrupted(): ResumeReport {
    const report: ResumeReport = { resumed: 0, waiting: 0, finishing: 0, inDoubt: 0, notResumed: [] };
    for (const execution of this.interrupted()) {
      try {
        const replay = this.redrive(execution).replay?.kind;
        report.resumed++;
        if (replay === 'awaiting') report.waiting++;
        else if (replay === 'inDoubt') report.inDoubt++;
        else if (replay) report.finishing++;
      } catch (error) {
        if (!(error instanceof SfnApiError)) throw error;
        report.notResumed.push({ executionArn: execution.executionArn, reason: error.message });
      }
    }
    return report;
  }

  // ---- state machines -------------------------------------------------------------------------

  private register(record: StateMachineRecord): Machine {
    let definition: AslDefinition;
    try {
      definition = JSON.parse(record.definition) as AslDefinition;
      new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
      for (const [name, state] of allStates(definition)) {
        if (state.Type === 'Task') parseResource(String(state.Resource ?? `(no Resource in ${name})`));
      }
    } catch (error) {
      throw new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: ${(error as Error).message}`);
    }
    const engineDefinition = prepareForEngine(definition, { timeScale: this.timeScale });
    const machine = {
      record,
      definition,
      engineDefinition,
      engine: new StateMachine(engineDefinition as never, { validationOptions: { noValidate: true } }),
    };
    this.machines.set(record.stateMachineArn, machine);
    return machine;
  }

  createStateMachine(input: { name?: string; definition?: string; roleArn?: string; type?: string }): {
    stateMachineArn: string;
    creationDate: number;
  } {
    if (!input.name || !NAME.test(input.name)) throw new SfnApiError('InvalidName', `Invalid Name: '${input.name}'`);
    if (!input.definition) throw new SfnApiError('InvalidDefinition', 'Invalid State Machine Definition: empty');
    const stateMachineArn = machineArn(input.name);
    const existing = this.machines.get(stateMachineArn);
    if (existing) {
      if (existing.record.definition === input.definition) return { stateMachineArn, creationDate: existing.record.creationDate };
      throw new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${stateMachineArn}'`);
    }
    const record: StateMachineRecord = {
      stateMachineArn,
      name: input.name,
      definition: input.definition,
      roleArn: input.roleArn ?? `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`,
      type: input.type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      creationDate: Date.now(),
    };
    this.register(record);
    this.store.saveMachine(record);
    return { stateMachineArn, creationDate: record.creationDate };
  }

  /** Replaces a machine's definition (the template changed since the last run). */
  upsertStateMachine(input: { name: string; definition: string; roleArn?: string }): string {
    const arn = machineArn(input.name);
    const existing = this.machines.get(arn);
    if (existing && existing.record.definition !== input.definition) {
      const record = { ...existing.record, definition: input.definition };
      this.register(record);
      this.store.saveMachine(record);
      return arn;
    }
    return this.createStateMachine(input).stateMachineArn;
  }

  private machine(arn: unknown): Machine {
    if (typeof arn !== 'string' || !arn.startsWith('arn:aws:states:')) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  describeStateMachine(input: { stateMachineArn?: string }) {
    const { record } = this.machine(input.stateMachineArn);
    return { ...record, status: 'ACTIVE', creationDate: seconds(record.creationDate) };
  }

  listStateMachines(input: { maxResults?: number; nextToken?: string }) {
    const all = [...this.machines.values()].map(({ record }) => ({
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      type: record.type,
      creationDate: seconds(record.creationDate),
    }));
    const { items, nextToken } = page(all, input.maxResults, input.nextToken);
    return { stateMachines: items, nextToken };
  }

  // ---- executions -----------------------------------------------------------------------------

  startExecution(input: { stateMachineArn?: string; name?: string; input?: string }): { executionArn: string; startDate: number } {
    const machine = this.machine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    if (!NAME.test(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const executionInput = input.input ?? '{}';
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(executionInput);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'Invalid execution input: the input is not valid JSON.');
    }
    const executionArn = executionArnOf(machine.record.name, name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      // AWS: the same name and input while the execution runs is the same request; anything else is a conflict.
      if (existing.status === 'RUNNING' && existing.input === executionInput)
        return { executionArn, startDate: seconds(existing.startDate) as number };
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.record.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: Date.now(),
      input: executionInput,
      redriveCount: 0,
      events: [],
    };
    this.executions.set(executionArn, execution);
    appendEvent(execution, 'ExecutionStarted', { input: executionInput, roleArn: machine.record.roleArn });
    // On disk before the caller hears of it: an execution StartExecution answered for survives a crash.
    this.store.executionChanged(execution);
    this.runner.run(machine, execution, parsedInput);
    return { executionArn, startDate: seconds(execution.startDate) as number };
  }

  private execution(arn: unknown): ExecutionRecord {
    if (typeof arn !== 'string' || !arn.startsWith('arn:aws:states:')) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const execution = this.executions.get(arn);
    if (!execution) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  describeExecution(input: { executionArn?: string }) {
    const { events: _events, ...execution } = this.execution(input.executionArn);
    return {
      ...execution,
      startDate: seconds(execution.startDate),
      stopDate: seconds(execution.stopDate),
      redriveDate: seconds(execution.redriveDate),
      redriveStatus: this.redriveBlocker(execution) ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
    };
  }

  listExecutions(input: { stateMachineArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string }) {
    const machine = this.machine(input.stateMachineArn);
    const matching = [...this.executions.values()]
      .filter((execution) => execution.stateMachineArn === machine.record.stateMachineArn)
      .filter((execution) => !input.statusFilter || execution.status === input.statusFilter)
      .sort((a, b) => b.startDate - a.startDate);
    const { items, nextToken } = page(matching, input.maxResults, input.nextToken);
    return {
      executions: items.map((execution) => ({
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: seconds(execution.startDate),
        stopDate: seconds(execution.stopDate),
        redriveCount: execution.redriveCount,
      })),
      nextToken,
    };
  }

  getExecutionHistory(input: {
    executionArn?: string;
    maxResults?: number;
    nextToken?: string;
    reverseOrder?: boolean;
    includeExecutionData?: boolean;
  }) {
    const execution = this.execution(input.executionArn);
    const ordered = input.reverseOrder ? [...execution.events].reverse() : execution.events;
    const { items, nextToken } = page(ordered, input.maxResults, input.nextToken);
    const withoutData = (event: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(event).map(([key, value]) => {
          if (!key.endsWith('EventDetails') || !value || typeof value !== 'object') return [key, value];
          const { input: _in, output: _out, ...rest } = value as Record<string, unknown>;
          return [key, rest];
        }),
      );
    return {
      events: items.map((event) => {
        const shaped = { ...event, timestamp: seconds(event.timestamp) };
        return input.includeExecutionData === false ? withoutData(shaped) : shaped;
      }),
      nextToken,
    };
  }

  stopExecution(input: { executionArn?: string; error?: string; cause?: string }) {
    const execution = this.execution(input.executionArn);
    const stopped = this.runner.stopExecution(execution.executionArn, { error: input.error, cause: input.cause });
    if (!stopped) return { stopDate: seconds(execution.stopDate ?? Date.now()) };
    return { stopDate: seconds(Date.now()) };
  }

  /** Why an execution cannot be redriven, or undefined when it can. */
  private redriveBlocker(execution: Pick<ExecutionRecord, 'status' | 'stateMachineArn'>): string | undefined {
    if (!['FAILED', 'TIMED_OUT', 'ABORTED'].includes(execution.status))
      return `Execution is ${execution.status}; only FAILED, TIMED_OUT and ABORTED executions can be redriven.`;
    if (!this.machines.has(execution.stateMachineArn)) return 'Its state machine no longer exists.';
    return undefined;
  }

  /**
   * Runs a stopped execution again from the top-level state it was in when it stopped, with that
   * state's input. Every Conveyor step is idempotent, so re-running a state is safe. An execution the
   * local cloud interrupted goes on from exactly where it was instead (local/sfn/resume.ts): a task
   * that had finished is not called again, and one waiting for its token waits for the same token.
   */
  redriveExecution(input: { executionArn?: string }) {
    const execution = this.redrive(this.execution(input.executionArn)).execution;
    return { redriveDate: seconds(execution.redriveDate) };
  }

  private redrive(execution: ExecutionRecord): { execution: ExecutionRecord; replay?: TaskReplay } {
    const blocker = this.redriveBlocker(execution);
    if (blocker) throw new SfnApiError('ExecutionNotRedrivable', blocker);
    const machine = this.machine(execution.stateMachineArn);
    const point = resumePoint(execution, machine.definition, { replay: execution.error === INTERRUPTED });
    if (point.unknownState) {
      throw new SfnApiError(
        'ExecutionNotRedrivable',
        `It stopped in state ${point.unknownState}, which the state machine's definition no longer has.`,
      );
    }
    const resume: ResumeAt = { state: point.state, replay: point.replay };
    // A wait or call that goes on keeps its deadline: the state's TimeoutSeconds counts from when it was entered.
    const timeout = machine.definition.States[point.state]?.TimeoutSeconds;
    if ((point.replay?.kind === 'awaiting' || point.replay?.kind === 'inDoubt') && typeof timeout === 'number' && point.enteredAt) {
      const left = timeout - (Date.now() - point.enteredAt) / 1000;
      resume.timeoutSeconds = Math.min(Math.max(left, 0.001), MAX_TIMER_SECONDS);
    }
    execution.status = 'RUNNING';
    execution.redriveCount += 1;
    execution.redriveDate = Date.now();
    execution.stopDate = undefined;
    execution.error = undefined;
    execution.cause = undefined;
    appendEvent(execution, 'ExecutionRedriven', { redriveCount: execution.redriveCount });
    this.store.executionChanged(execution);
    this.runner.run(machine, execution, point.input, resume);
    return { execution, replay: point.replay };
  }
}
