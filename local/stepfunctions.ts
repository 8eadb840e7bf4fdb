import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { LambdaRuntime } from './lambda-runtime.js';
import { type AslDefinition, type AslState, allStates, prepareForEngine } from './sfn/definition.js';
import { type EngineEvent, recordEngineEvent } from './sfn/engine-events.js';
import { SfnApiError, TaskError } from './sfn/errors.js';
import { appendEvent, type ExecutionRecord, type ExecutionStatus, jsonText } from './sfn/history.js';
import { SfnStore, type StateMachineRecord } from './sfn/store.js';
import { parseResource, TASK_TOKEN_PLACEHOLDER, type TaskServices, taskHandler } from './sfn/tasks.js';
import { TaskTokens } from './sfn/tokens.js';
import { type CfnTemplate, type IntrinsicResolver, LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource, resourcesOfType } from './template.js';

export interface LocalStepFunctionsOptions {
  lambdas: LambdaRuntime;
  /** SDK clients for the services tasks call, by ARN service name (dynamodb, sqs, sesv2, …). */
  sdk: TaskServices['sdk'];
  /** Where machines and execution histories are kept between runs; none keeps them in memory. */
  stateDir?: string;
  /** Scales Retry intervals and Wait states (tests run at 0.01); 1 is AWS's timing. */
  timeScale?: number;
}

interface Machine {
  record: StateMachineRecord;
  definition: AslDefinition;
  engineDefinition: AslDefinition;
  engine: StateMachine;
}

interface Running {
  abort: () => void;
  stopRequest?: { error?: string; cause?: string };
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
const machineArn = (name: string) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
const executionArnOf = (machineName: string, name: string) =>
  `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${name}`;

function page<T>(items: T[], maxResults: unknown, nextToken: unknown, limit = 1000): { items: T[]; nextToken?: string } {
  const size = Math.min(Number(maxResults) > 0 ? Number(maxResults) : 100, limit);
  const offset = typeof nextToken === 'string' ? Number(Buffer.from(nextToken, 'base64url').toString()) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw new SfnApiError('InvalidToken', 'Invalid pagination token.');
  const slice = items.slice(offset, offset + size);
  return { items: slice, nextToken: offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined };
}

/**
 * The Step Functions API (JSON 1.0 protocol) over the aws-local-stepfunctions engine, so that
 * `@aws-sdk/client-sfn` works unchanged against the local cloud. See docs/local-cloud.md for its limits.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, Running>();
  private readonly tokens = new TaskTokens();
  private readonly store: SfnStore;
  private readonly services: TaskServices;
  private readonly timeScale: number;
  private server: Server | undefined;
  /** Once stopped, running executions stay RUNNING on disk, to be marked interrupted by the next start. */
  private stopped = false;
  private readonly finished: Record<string, number> = {};
  private readonly entered: Record<string, number> = {};

  constructor(options: LocalStepFunctionsOptions) {
    this.timeScale = options.timeScale ?? 1;
    this.store = new SfnStore(options.stateDir);
    this.services = { lambdas: options.lambdas, tokens: this.tokens, sdk: options.sdk };
    for (const record of this.store.loadMachines()) this.register(record);
    for (const execution of this.store.loadExecutions()) this.restore(execution);
  }

  /** Executions that were running when the process stopped are failed now, and can be redriven. */
  private restore(execution: ExecutionRecord): void {
    this.executions.set(execution.executionArn, execution);
    if (execution.status !== 'RUNNING') return;
    this.finish(execution, 'FAILED', {
      error: 'Local.Interrupted',
      cause: 'The local cloud stopped while this execution was running; RedriveExecution runs it again from the state it was in.',
    });
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
    this.run(machine, execution, parsedInput);
    return { executionArn, startDate: seconds(execution.startDate) as number };
  }

  private run(machine: Machine, execution: ExecutionRecord, input: unknown, startAt?: string): void {
    const engine = startAt
      ? new StateMachine({ ...machine.engineDefinition, StartAt: startAt } as never, { validationOptions: { noValidate: true } })
      : machine.engine;
    const recorder = {
      executionArn: execution.executionArn,
      record: (type: string, details?: Record<string, unknown>) => {
        if (this.stopped) return;
        appendEvent(execution, type, details);
        this.store.executionChanged(execution);
      },
    };
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of allStates(machine.definition)) {
      if (state.Type === 'Task') handlers[name] = taskHandler(state as AslState & { Resource: string }, this.services, recorder, name);
    }
    const run = engine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
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
    void (async () => {
      for await (const event of run.eventLogs) {
        recordEngineEvent(event as EngineEvent, recorder.record);
        const name = (event as EngineEvent).state?.name;
        if (event.type === 'StateEntered' && name) this.entered[name] = (this.entered[name] ?? 0) + 1;
      }
    })();
    run.result.then(
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

  private finish(execution: ExecutionRecord, status: ExecutionStatus, details: { output?: string; error?: string; cause?: string }): void {
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
    const running = this.running.get(execution.executionArn);
    if (!running) return { stopDate: seconds(execution.stopDate ?? Date.now()) };
    running.stopRequest = { error: input.error, cause: input.cause };
    this.tokens.closeExecution(execution.executionArn);
    running.abort();
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
   * state's input. Every Conveyor step is idempotent, so re-running a state is safe.
   */
  redriveExecution(input: { executionArn?: string }) {
    const execution = this.execution(input.executionArn);
    const blocker = this.redriveBlocker(execution);
    if (blocker) throw new SfnApiError('ExecutionNotRedrivable', blocker);
    const machine = this.machine(execution.stateMachineArn);
    const topLevel = new Set(Object.keys(machine.definition.States));
    let resumeAt: { name: string; input: unknown } | undefined;
    for (const event of execution.events) {
      const details = event.stateEnteredEventDetails as { name: string; input: unknown } | undefined;
      if (details && topLevel.has(details.name)) resumeAt = { name: details.name, input: JSON.parse(jsonText(details.input)) };
    }
    const start = resumeAt ?? { name: machine.definition.StartAt, input: JSON.parse(execution.input) };
    execution.status = 'RUNNING';
    execution.redriveCount += 1;
    execution.redriveDate = Date.now();
    execution.stopDate = undefined;
    execution.error = undefined;
    execution.cause = undefined;
    appendEvent(execution, 'ExecutionRedriven', { redriveCount: execution.redriveCount });
    this.store.executionChanged(execution);
    this.run(machine, execution, start.input, start.name);
    return { redriveDate: seconds(execution.redriveDate) };
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

  // ---- the template's state machines --------------------------------------------------------------

  /** Creates (or updates) every AWS::StepFunctions::StateMachine of the template and returns their local identities. */
  loadFromTemplate(template: CfnTemplate, resolver: IntrinsicResolver, cdkOut: string, stackName: string): Map<string, LocalResource> {
    const identities = new Map<string, LocalResource>();
    for (const [logicalId, resource] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
      const props = resource.Properties ?? {};
      const name = props.StateMachineName ? resolver.resolveString(props.StateMachineName) : `${stackName}-${logicalId}`;
      let definition = props.DefinitionString
        ? resolver.resolveString(props.DefinitionString)
        : readDefinitionAsset(cdkOut, stackName, props.DefinitionS3Location as { Key: unknown });
      const substitutions = (props.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(substitutions)) {
        definition = definition.split(`\${${key}}`).join(resolver.resolveString(value));
      }
      const arn = this.upsertStateMachine({ name, definition, roleArn: props.RoleArn ? resolver.resolveString(props.RoleArn) : undefined });
      identities.set(logicalId, { ref: arn, attributes: { Arn: arn, Name: name } });
    }
    return identities;
  }

  /** Local identities of the template's state machines, known before any environment is resolved. */
  static identities(template: CfnTemplate, stackName: string): Map<string, LocalResource> {
    const identities = new Map<string, LocalResource>();
    for (const [logicalId] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
      const name = `${stackName}-${logicalId}`;
      identities.set(logicalId, { ref: machineArn(name), attributes: { Arn: machineArn(name), Name: name } });
    }
    return identities;
  }

  // ---- the HTTP API -----------------------------------------------------------------------------

  private dispatch(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case 'CreateStateMachine': {
        const created = this.createStateMachine(input);
        return { ...created, creationDate: seconds(created.creationDate) };
      }
      case 'DescribeStateMachine':
        return this.describeStateMachine(input);
      case 'ListStateMachines':
        return this.listStateMachines(input);
      case 'StartExecution':
        return this.startExecution(input);
      case 'DescribeExecution':
        return this.describeExecution(input);
      case 'ListExecutions':
        return this.listExecutions(input);
      case 'GetExecutionHistory':
        return this.getExecutionHistory(input);
      case 'StopExecution':
        return this.stopExecution(input);
      case 'RedriveExecution':
        return this.redriveExecution(input);
      case 'SendTaskSuccess':
        return this.sendTaskSuccess(input);
      case 'SendTaskFailure':
        return this.sendTaskFailure(input);
      case 'SendTaskHeartbeat':
        return this.sendTaskHeartbeat(input);
      default:
        throw new SfnApiError('UnknownOperationException', `The local Step Functions service does not implement ${action}.`);
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown, errorType?: string) => {
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': randomUUID(),
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      response.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    try {
      if (!target.startsWith('AWSStepFunctions.'))
        throw new SfnApiError('UnknownOperationException', `Unknown target: ${target || '(none)'}`);
      let input: Record<string, unknown>;
      try {
        input = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        throw new SfnApiError('SerializationException', 'The request body is not valid JSON.');
      }
      reply(200, this.dispatch(target.slice('AWSStepFunctions.'.length), input));
    } catch (error) {
      if (error instanceof SfnApiError) reply(error.status, { __type: error.type, message: error.message }, error.type);
      else if (error instanceof TaskError) reply(400, { __type: 'InvalidDefinition', message: error.message }, 'InvalidDefinition');
      else reply(500, { __type: 'InternalFailure', message: (error as Error).message }, 'InternalFailure');
    }
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    const server = createServer((request, response) => void this.handle(request, response));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
  }

  async stop(): Promise<void> {
    this.store.flush();
    this.stopped = true;
    for (const running of this.running.values()) running.abort();
    this.tokens.stop();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
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

/** CDK's DefinitionBody.fromFile ships the ASL as a file asset; find it in cdk.out by its object key. */
function readDefinitionAsset(cdkOut: string, stackName: string, location: { Key: unknown }): string {
  const manifest = JSON.parse(readFileSync(path.join(cdkOut, `${stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  const key = String(location.Key);
  for (const asset of Object.values(manifest.files)) {
    if (Object.values(asset.destinations).some((destination) => destination.objectKey === key)) {
      return readFileSync(path.join(cdkOut, asset.source.path), 'utf8');
    }
  }
  throw new Error(`The state machine definition asset ${key} is not in ${cdkOut}.`);
}
