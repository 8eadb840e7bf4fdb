import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { LambdaRuntime } from './lambda-runtime.js';
import { SfnApiError, TaskError } from './sfn/errors.js';
import { machineArn, SfnRegistry, seconds } from './sfn/registry.js';
import { type InterruptReport, SfnRunner } from './sfn/runner.js';
import { SfnStore } from './sfn/store.js';
import type { TaskServices } from './sfn/tasks.js';
import { type CfnTemplate, type IntrinsicResolver, type LocalResource, resourcesOfType } from './template.js';

export interface LocalStepFunctionsOptions {
  lambdas: LambdaRuntime;
  /** SDK clients for the services tasks call, by ARN service name (dynamodb, sqs, sesv2, …). */
  sdk: TaskServices['sdk'];
  /** Where machines and execution histories are kept between runs; none keeps them in memory. */
  stateDir?: string;
  /** Scales Retry intervals and Wait states (tests run at 0.01); 1 is AWS's timing. */
  timeScale?: number;
  /** What the service has to say beyond the API (how resumed executions went on). */
  log?: (line: string) => void;
}

/**
 * The Step Functions API (JSON 1.0 protocol) over the aws-local-stepfunctions engine, so that
 * `@aws-sdk/client-sfn` works unchanged against the local cloud. See docs/local-cloud.md for its limits.
 * Machines and executions are kept by `SfnRegistry` (local/sfn/registry.ts) and run by `SfnRunner`
 * (local/sfn/runner.ts); this class serves them over HTTP and loads the template's machines.
 */
export class LocalStepFunctions {
  private readonly store: SfnStore;
  private readonly runner: SfnRunner;
  private readonly registry: SfnRegistry;
  private server: Server | undefined;

  constructor(options: LocalStepFunctionsOptions) {
    this.store = new SfnStore(options.stateDir);
    // The runner comes first: loading, the registry finishes executions the last run left RUNNING.
    this.runner = new SfnRunner({ store: this.store, lambdas: options.lambdas, sdk: options.sdk, log: options.log ?? (() => undefined) });
    this.registry = new SfnRegistry({ store: this.store, runner: this.runner, timeScale: options.timeScale ?? 1 });
  }

  // ---- the API's actions, also called directly by the local cloud and the benchmarks ----------

  createStateMachine(input: Parameters<SfnRegistry['createStateMachine']>[0]) {
    return this.registry.createStateMachine(input);
  }

  /** Replaces a machine's definition (the template changed since the last run). */
  upsertStateMachine(input: Parameters<SfnRegistry['upsertStateMachine']>[0]) {
    return this.registry.upsertStateMachine(input);
  }

  describeStateMachine(input: Parameters<SfnRegistry['describeStateMachine']>[0]) {
    return this.registry.describeStateMachine(input);
  }

  listStateMachines(input: Parameters<SfnRegistry['listStateMachines']>[0]) {
    return this.registry.listStateMachines(input);
  }

  startExecution(input: Parameters<SfnRegistry['startExecution']>[0]) {
    return this.registry.startExecution(input);
  }

  describeExecution(input: Parameters<SfnRegistry['describeExecution']>[0]) {
    return this.registry.describeExecution(input);
  }

  listExecutions(input: Parameters<SfnRegistry['listExecutions']>[0]) {
    return this.registry.listExecutions(input);
  }

  getExecutionHistory(input: Parameters<SfnRegistry['getExecutionHistory']>[0]) {
    return this.registry.getExecutionHistory(input);
  }

  stopExecution(input: Parameters<SfnRegistry['stopExecution']>[0]) {
    return this.registry.stopExecution(input);
  }

  redriveExecution(input: Parameters<SfnRegistry['redriveExecution']>[0]) {
    return this.registry.redriveExecution(input);
  }

  sendTaskSuccess(input: Parameters<SfnRunner['sendTaskSuccess']>[0]) {
    return this.runner.sendTaskSuccess(input);
  }

  sendTaskFailure(input: Parameters<SfnRunner['sendTaskFailure']>[0]) {
    return this.runner.sendTaskFailure(input);
  }

  sendTaskHeartbeat(input: Parameters<SfnRunner['sendTaskHeartbeat']>[0]) {
    return this.runner.sendTaskHeartbeat(input);
  }

  /** How often a state (by name, in any machine) was entered since start-up (for benchmarks and diagnostics). */
  timesEntered(stateName: string): number {
    return this.runner.timesEntered(stateName);
  }

  /** Executions that have finished since start-up, by status (for benchmarks and diagnostics). */
  counts(): Record<string, number> {
    return this.runner.counts();
  }

  // ---- stopping and starting again -------------------------------------------------------------

  /** Holds back every task that has not called its service yet; calls in flight go on (see callsInFlight). */
  drain(): void {
    this.runner.drain();
  }

  /** Service calls of running tasks, by state name. */
  callsInFlight(): Map<string, number> {
    return this.runner.callsInFlight();
  }

  /** Stops running executions where they are and records them as interrupted, to be resumed by the next start. */
  interrupt(why: string): InterruptReport {
    const report = this.runner.interrupt(why);
    this.store.flush();
    return report;
  }

  /** Executions the last stop (clean or not) interrupted, resumed from where they were; see docs/local-cloud.md. */
  resumeInterrupted() {
    return this.registry.resumeInterrupted();
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
    this.runner.stop();
    this.store.flush();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
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
