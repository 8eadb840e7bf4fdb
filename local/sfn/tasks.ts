import { randomUUID } from 'node:crypto';
import type { LambdaRuntime } from '../lambda-runtime.js';
import { LOCAL_REGION } from '../template.js';
import { MAX_TIMER_SECONDS } from './definition.js';
import { TaskError } from './errors.js';
import { json } from './history.js';
import { isConditionFailure, writeAlreadyApplied } from './in-doubt.js';
import type { TaskReplay } from './resume.js';
import type { TaskTokens } from './tokens.js';

/** `$$.Task.Token` resolves to this placeholder; the task handler swaps in a real token when the task starts. */
export const TASK_TOKEN_PLACEHOLDER = '__conveyor_local_task_token__';

/** An AWS SDK v3 client as far as the local service needs it. */
export interface SdkClient {
  send(command: unknown): Promise<Record<string, unknown>>;
}

export interface TaskServices {
  lambdas: LambdaRuntime;
  tokens: TaskTokens;
  /** An SDK client and its module for a service name as written in ARNs (dynamodb, sqs, sesv2, sfn, s3). */
  sdk(service: string): Promise<{ client: SdkClient; commands: Record<string, unknown> }>;
  traffic: TaskTraffic;
  log: (line: string) => void;
}

/** Where task calls are let through and counted, so the service can drain before it stops. */
export interface TaskTraffic {
  /** Resolves when a task may call its service; while the service drains, only once it stops (rejecting). */
  admit(executionArn: string, stateName: string): Promise<void>;
  /** Counts a call in flight until the returned function is called. */
  begin(executionArn: string, stateName: string): () => void;
}

/** What a task handler reports back to its execution. */
export interface TaskRecorder {
  executionArn: string;
  record(type: string, details?: Record<string, unknown>): void;
}

type Integration = 'lambda-invoke' | 'lambda-function' | 'dynamodb' | 'aws-sdk' | 'sqs';

export interface ParsedResource {
  integration: Integration;
  /** The service, as Step Functions names it in history events (`lambda`, `dynamodb`, `aws-sdk:dynamodb`, `sqs`). */
  resourceType: string;
  /** The action, as in history events (`invoke`, `putItem`, `transactWriteItems.waitForTaskToken`). */
  resource: string;
  service: string;
  action: string;
  waitForTaskToken: boolean;
}

const SERVICE_ERROR_PREFIX: Record<string, string> = {
  dynamodb: 'DynamoDb',
  sqs: 'Sqs',
  sesv2: 'SesV2',
  sfn: 'Sfn',
  s3: 'S3',
  lambda: 'Lambda',
};

/** Reads a Task state's Resource; anything the local service cannot run is refused when the machine is created. */
export function parseResource(resource: string): ParsedResource {
  if (/^arn:aws:lambda:[^:]*:[^:]*:function:/.test(resource)) {
    return {
      integration: 'lambda-function',
      resourceType: 'lambda',
      resource,
      service: 'lambda',
      action: 'invoke',
      waitForTaskToken: false,
    };
  }
  const match = /^arn:aws:states:::(aws-sdk:)?([a-z0-9]+):([A-Za-z0-9]+)(\.waitForTaskToken|\.sync(?::2)?)?$/.exec(resource);
  if (!match) throw new TaskError('States.Runtime', `The local Step Functions service cannot run the resource ${resource}.`);
  const [, sdk, service = '', action = '', pattern] = match;
  if (pattern?.startsWith('.sync')) throw new TaskError('States.Runtime', `The .sync pattern (${resource}) is not supported locally.`);
  const waitForTaskToken = pattern === '.waitForTaskToken';
  const described = {
    resourceType: sdk ? `aws-sdk:${service}` : service,
    resource: `${action}${pattern ?? ''}`,
    service,
    action,
    waitForTaskToken,
  };
  if (sdk) {
    if (!(service in SERVICE_ERROR_PREFIX))
      throw new TaskError('States.Runtime', `The local cloud has no ${service} service (${resource}).`);
    return { integration: 'aws-sdk', ...described };
  }
  if (service === 'lambda' && action === 'invoke') return { integration: 'lambda-invoke', ...described };
  if (service === 'dynamodb' && ['getItem', 'putItem', 'updateItem', 'deleteItem'].includes(action)) {
    if (waitForTaskToken) throw new TaskError('States.Runtime', `${resource}: DynamoDB integrations do not support .waitForTaskToken.`);
    return { integration: 'dynamodb', ...described };
  }
  if (service === 'sqs' && action === 'sendMessage') return { integration: 'sqs', ...described };
  throw new TaskError('States.Runtime', `The local Step Functions service cannot run the resource ${resource}.`);
}

const pascal = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;

function replaceToken(value: unknown, token: string): unknown {
  if (value === TASK_TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((item) => replaceToken(item, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceToken(item, token)]));
  }
  return value;
}

const sdkMetadata = (requestId: string) => ({
  SdkHttpMetadata: { HttpHeaders: { 'x-amzn-RequestId': requestId }, HttpStatusCode: 200 },
  SdkResponseMetadata: { RequestId: requestId },
});

/** Turns an SDK error into the error a Step Functions task reports (`DynamoDB.ConditionalCheckFailedException`, …). */
function serviceError(parsed: ParsedResource, error: unknown): TaskError {
  const err = error as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
  const name = err.name.endsWith('Exception') ? err.name : `${err.name}Exception`;
  const prefix =
    parsed.integration === 'aws-sdk' ? SERVICE_ERROR_PREFIX[parsed.service] : parsed.service === 'dynamodb' ? 'DynamoDB' : 'SQS';
  const cause = `${err.message} (Service: ${parsed.service}, Status Code: ${err.$metadata?.httpStatusCode ?? 400}, Error Code: ${err.name}, Request ID: ${err.$metadata?.requestId ?? 'local'})`;
  return new TaskError(`${prefix}.${name}`, cause);
}

async function callSdk(services: TaskServices, parsed: ParsedResource, parameters: unknown): Promise<Record<string, unknown>> {
  const { client, commands } = await services.sdk(parsed.service);
  const Command = commands[`${pascal(parsed.action)}Command`] as (new (input: unknown) => unknown) | undefined;
  if (!Command) throw new TaskError('States.Runtime', `The ${parsed.service} SDK has no action ${parsed.action}.`);
  try {
    const { $metadata, ...output } = await client.send(new Command(parameters));
    return parsed.integration === 'aws-sdk'
      ? output
      : { ...output, ...sdkMetadata(String(($metadata as { requestId?: string })?.requestId ?? randomUUID())) };
  } catch (error) {
    throw serviceError(parsed, error);
  }
}

async function invokeLambda(services: TaskServices, functionName: string, payload: unknown): Promise<unknown> {
  let fn: ReturnType<LambdaRuntime['get']>;
  try {
    fn = services.lambdas.get(functionName);
  } catch {
    throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${functionName}`);
  }
  const result = await fn.invoke(payload);
  if (!result.ok) {
    throw new TaskError(
      result.error.errorType,
      JSON.stringify({ errorType: result.error.errorType, errorMessage: result.error.errorMessage, trace: result.error.trace }),
    );
  }
  return result.payload;
}

async function runIntegration(services: TaskServices, parsed: ParsedResource, parameters: unknown): Promise<unknown> {
  switch (parsed.integration) {
    case 'lambda-function':
      return invokeLambda(services, parsed.resource, parameters);
    case 'lambda-invoke': {
      const { FunctionName, Payload, InvocationType } = (parameters ?? {}) as {
        FunctionName?: string;
        Payload?: unknown;
        InvocationType?: string;
      };
      if (!FunctionName) throw new TaskError('States.Runtime', 'lambda:invoke needs Parameters.FunctionName.');
      const requestId = randomUUID();
      if (InvocationType === 'Event') {
        void invokeLambda(services, FunctionName, Payload).catch(() => undefined);
        return { Payload: '', StatusCode: 202, ...sdkMetadata(requestId) };
      }
      const payload = await invokeLambda(services, FunctionName, Payload);
      return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200, ...sdkMetadata(requestId) };
    }
    case 'sqs': {
      const input = { ...(parameters as Record<string, unknown>) };
      if (typeof input.MessageBody !== 'string') input.MessageBody = JSON.stringify(input.MessageBody);
      return callSdk(services, parsed, input);
    }
    case 'dynamodb':
    case 'aws-sdk':
      return callSdk(services, parsed, parameters);
  }
}

const DYNAMODB_WRITES = new Set(['putItem', 'updateItem', 'deleteItem', 'transactWriteItems']);

/**
 * Calls the task's service. A call in doubt (it was in flight when the local cloud died) is made
 * again; if it is a DynamoDB write refused by its condition because the first call had been
 * applied after all, that is its success (local/sfn/in-doubt.ts).
 */
async function callService(
  services: TaskServices,
  parsed: ParsedResource,
  parameters: unknown,
  inDoubt: { executionArn: string; stateName: string } | undefined,
): Promise<unknown> {
  try {
    return await runIntegration(services, parsed, parameters);
  } catch (error) {
    const retriedWrite = inDoubt && parsed.service === 'dynamodb' && DYNAMODB_WRITES.has(parsed.action);
    if (!(retriedWrite && error instanceof TaskError && isConditionFailure(error.name))) throw error;
    if (!(await writeAlreadyApplied(await services.sdk('dynamodb'), parsed.action, parameters))) throw error;
    services.log(
      `${inDoubt.stateName} of ${inDoubt.executionArn.split(':').at(-1)} had been applied before the stop; it is not applied twice.`,
    );
    return parsed.integration === 'aws-sdk' ? {} : sdkMetadata(randomUUID());
  }
}

/**
 * The engine's local handler for one Task state: records AWS-shaped task events around the call.
 * TimeoutSeconds stays the engine's to enforce (so `States.TaskFailed` keeps not matching timeouts);
 * this handler's own timer, created first and so firing first, only records the timeout and closes the token.
 */
export function taskHandler(
  state: { Resource: string; TimeoutSeconds?: number; HeartbeatSeconds?: number },
  services: TaskServices,
  recorder: TaskRecorder,
  stateName: string,
  /** What a resumed execution's first run of this state replays (local/sfn/resume.ts); called once per run. */
  takeReplay: () => TaskReplay | undefined = () => undefined,
): (input: unknown) => Promise<unknown> {
  const parsed = parseResource(state.Resource);
  const plainLambda = parsed.integration === 'lambda-function';
  const describe = { resourceType: parsed.resourceType, resource: parsed.resource };
  const fail = (type: 'Failed' | 'TimedOut', error: string, cause: string) =>
    plainLambda
      ? recorder.record(`LambdaFunction${type}`, { error, cause })
      : recorder.record(`Task${type}`, { ...describe, error, cause });

  return async (input) => {
    const replay = takeReplay();
    // A task that had finished before the restart gives the engine its recorded outcome again.
    if (replay?.kind === 'succeeded') return replay.output;
    if (replay?.kind === 'failed') throw new TaskError(replay.error, replay.cause);
    const awaiting = replay?.kind === 'awaiting';
    let token: string | undefined;
    let timedOut = false;
    const timer = state.TimeoutSeconds
      ? setTimeout(() => {
          timedOut = true;
          fail('TimedOut', 'States.Timeout', 'The task timed out.');
          if (token) services.tokens.discard(token, 'timedOut');
        }, Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS) * 1000)
      : undefined;
    try {
      // Let the execution record the engine's StateEntered first, so the history reads in order.
      await new Promise((resolve) => setImmediate(resolve));
      // A resumed wait calls nothing; every other task waits here while the service drains.
      if (!awaiting) await services.traffic.admit(recorder.executionArn, stateName);
      let parameters = input;
      let completion: Promise<unknown> | undefined;
      if (parsed.waitForTaskToken) {
        const limits = { heartbeatSeconds: state.HeartbeatSeconds };
        const issued = services.tokens.issue(recorder.executionArn, stateName, limits, replay?.token);
        token = issued.token;
        parameters = replaceToken(input, issued.token);
        completion = issued.completion;
      }
      if (awaiting) {
        // The call was made before the restart: only the wait for its token goes on.
      } else if (plainLambda) {
        recorder.record('LambdaFunctionScheduled', { resource: parsed.resource, input: json(parameters) });
        recorder.record('LambdaFunctionStarted');
      } else {
        recorder.record('TaskScheduled', { ...describe, region: LOCAL_REGION, parameters: json(parameters) });
        recorder.record('TaskStarted', describe);
      }
      let result: unknown;
      if (!awaiting) {
        const done = services.traffic.begin(recorder.executionArn, stateName);
        try {
          const inDoubt = replay?.kind === 'inDoubt' ? { executionArn: recorder.executionArn, stateName } : undefined;
          result = await callService(services, parsed, parameters, inDoubt);
        } finally {
          done();
        }
        if (completion && !timedOut) recorder.record('TaskSubmitted', { ...describe, output: json(result) });
      }
      const output = completion ? await completion : result;
      if (!timedOut) {
        recorder.record(
          plainLambda ? 'LambdaFunctionSucceeded' : 'TaskSucceeded',
          plainLambda ? { output: json(output) } : { ...describe, output: json(output) },
        );
      }
      return output;
    } catch (error) {
      const err = error instanceof TaskError ? error : new TaskError((error as Error).name, (error as Error).message);
      if (token) services.tokens.discard(token, 'done');
      if (!timedOut) fail(err.name === 'States.HeartbeatTimeout' ? 'TimedOut' : 'Failed', err.name, err.message);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}
