import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FaultInjector } from './faults.js';
import { type CfnTemplate, type IntrinsicResolver, LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource, resourcesOfType } from './template.js';

export interface FunctionDefinition {
  logicalId: string;
  functionName: string;
  functionArn: string;
  codeDir: string;
  handler: string;
  memorySize: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
  /** The bundle's source map (kept out of the asset), for readable stack traces. */
  sourceMap?: string;
}

/**
 * The Lambda runtime provides the AWS SDK v3 (bundles leave `@aws-sdk/*` out); the local runtime
 * provides the project's own pinned copy, resolved from this folder's node_modules.
 */
const RUNTIME_MODULES = new URL('../node_modules/', import.meta.url).href;

/** What an invocation returns, as Lambda's Invoke API reports it. */
export type InvocationResult =
  | { ok: true; payload: unknown; coldStart: boolean }
  | { ok: false; error: { errorType: string; errorMessage: string; trace?: string[] }; coldStart: boolean };

/** A sandbox handed to an invocation; cold when started for it. */
interface Sandbox {
  worker: Worker;
  coldStart: boolean;
}

/** An invocation running in a sandbox: how to answer it, and its deadline. */
interface Running {
  resolve: (result: InvocationResult) => void;
  timer: NodeJS.Timeout;
  coldStart: boolean;
}

/**
 * How many sandboxes (worker threads) one function may run at once here: twice the cores (4 on a 2-core machine);
 * invocations beyond wait for one to become free. Lambda would scale further (or throttle at its concurrency
 * limit); a laptop runs out of cores first: at 16 sandboxes a function on 2 cores, the fault drill's cold starts
 * starved the invocations into timeouts, whose discarded sandboxes started cold again (300 timeouts, no end).
 */
export const LOCAL_CONCURRENCY = Math.max(2, 2 * availableParallelism());

/**
 * One function, run as Lambda runs it: each invocation has a sandbox (a worker thread) to itself, so module state
 * (a Powertools BatchProcessor, a cache, a logger's keys) is never shared by two invocations at once. Sandboxes are
 * started on demand (a cold start), kept warm and reused one invocation at a time, up to LOCAL_CONCURRENCY; a
 * sandbox whose invocation timed out is discarded, as Lambda discards it, and the next invocation starts cold.
 */
export class LocalFunction {
  /** Warm sandboxes with nothing to do, the most recently used last. */
  private readonly idle: Worker[] = [];
  /** Sandboxes handed to an invocation, with the invocation once it runs. */
  private readonly busy = new Map<Worker, Running | undefined>();
  /** Invocations waiting for a sandbox, in arrival order: each is handed one (or undefined when the function stops). */
  private readonly waiting: ((sandbox: Sandbox | undefined) => void)[] = [];
  private stopped = false;
  invocations = 0;
  coldStarts = 0;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly log: WriteStream,
    private readonly faults?: FaultInjector,
    private readonly concurrency = LOCAL_CONCURRENCY,
  ) {}

  private start(): Worker {
    const { definition } = this;
    const worker = new Worker(new URL('./lambda-worker.ts', import.meta.url), {
      env: definition.environment,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, definition.memorySize) },
      workerData: {
        codeDir: definition.codeDir,
        handler: definition.handler,
        functionName: definition.functionName,
        functionArn: definition.functionArn,
        memorySize: definition.memorySize,
        logGroupName: `/aws/lambda/${definition.functionName}`,
        runtimeModules: RUNTIME_MODULES,
        sourceMap: definition.sourceMap,
      },
    });
    worker.stdout.pipe(this.log, { end: false });
    worker.stderr.pipe(this.log, { end: false });
    worker.on('message', (message: { result?: unknown; error?: { errorType: string; errorMessage: string } }) => {
      const running = this.busy.get(worker);
      if (!running) return;
      clearTimeout(running.timer);
      this.release(worker, true);
      running.resolve(
        message.error
          ? { ok: false, error: message.error, coldStart: running.coldStart }
          : { ok: true, payload: message.result, coldStart: running.coldStart },
      );
    });
    const fail = (errorType: string, errorMessage: string) => {
      const running = this.busy.get(worker);
      const known = this.busy.has(worker) || this.idle.includes(worker);
      if (known) this.release(worker, false);
      if (!running) return;
      clearTimeout(running.timer);
      running.resolve({ ok: false, error: { errorType, errorMessage }, coldStart: running.coldStart });
    };
    worker.on('error', (error) => fail('Runtime.ExitError', `RequestId: worker crashed: ${error.message}`));
    worker.on('exit', (code) => fail('Runtime.ExitError', `Runtime exited with code ${code}`));
    worker.unref();
    this.coldStarts++;
    return worker;
  }

  /**
   * An invocation is done with its sandbox: kept warm (`keep`) it goes to the first waiting invocation or back to
   * the idle ones; discarded, it makes room for a new sandbox, which the first waiting invocation starts.
   */
  private release(worker: Worker, keep: boolean): void {
    this.busy.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at !== -1) this.idle.splice(at, 1);
    if (this.stopped) {
      if (keep) void worker.terminate();
      return;
    }
    const next = this.waiting.shift();
    if (keep && next) {
      this.busy.set(worker, undefined);
      next({ worker, coldStart: false });
    } else if (next) {
      next(this.lease(this.start(), true));
    } else if (keep) {
      this.idle.push(worker);
    }
  }

  private lease(worker: Worker, coldStart: boolean): Sandbox {
    this.busy.set(worker, undefined);
    return { worker, coldStart };
  }

  /** A warm sandbox, a new one (cold) while under the concurrency, or the first to become free. */
  private sandbox(): Promise<Sandbox | undefined> | Sandbox | undefined {
    if (this.stopped) return undefined;
    const warm = this.idle.pop();
    if (warm) return this.lease(warm, false);
    if (this.busy.size < this.concurrency) return this.lease(this.start(), true);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * Invokes the function. With Lambda faults on, an invocation now and then fails as the Lambda service
   * fails one: before the handler ran (Lambda.ServiceException), or after it ran with its result lost on
   * the way back (Lambda.SdkClientException) — so callers must retry, and handlers must be idempotent.
   */
  async invoke(event: unknown): Promise<InvocationResult> {
    const fault = this.faults?.lambdaFault();
    if (fault === 'before') {
      const errorMessage = 'Lambda could not run the function (an injected fault, CONVEYOR_FAULTS lambda); retry the invocation.';
      return { ok: false, error: { errorType: 'Lambda.ServiceException', errorMessage }, coldStart: false };
    }
    const result = await this.run(event);
    if (fault !== 'after') return result;
    const errorMessage = 'The invocation ran but its response was lost (an injected fault, CONVEYOR_FAULTS lambda); retry the invocation.';
    return { ok: false, error: { errorType: 'Lambda.SdkClientException', errorMessage }, coldStart: result.coldStart };
  }

  private async run(event: unknown): Promise<InvocationResult> {
    this.invocations++;
    const id = this.invocations;
    const sandbox = await this.sandbox();
    if (!sandbox)
      return { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: 'The local cloud is stopping.' }, coldStart: false };
    const { worker, coldStart } = sandbox;
    const requestId = randomUUID();
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // As Lambda writes it to the function's log group: a timeout is otherwise invisible in the logs.
        const seconds = this.definition.timeoutSeconds.toFixed(2);
        this.log.write(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds\n`);
        // Lambda discards a sandbox whose invocation timed out: whatever it was doing stops with it.
        this.release(worker, false);
        void worker.terminate();
        resolve({
          ok: false,
          error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${seconds} seconds` },
          coldStart,
        });
      }, timeoutMs);
      this.busy.set(worker, { resolve, timer, coldStart });
      worker.postMessage({ id, requestId, deadline: Date.now() + timeoutMs, event });
    });
  }

  /** Invocations that have not returned yet (running, or waiting for a sandbox). */
  get inFlight(): number {
    return this.busy.size + this.waiting.length;
  }

  /** Ends every sandbox: invocations still running fail with Runtime.ExitError, waiting ones get no sandbox. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const next of this.waiting.splice(0)) next(undefined);
    const workers = [...this.idle.splice(0), ...this.busy.keys()];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

export interface LambdaRuntimeOptions {
  cdkOut: string;
  logDir: string;
  /** Variables every function gets on top of its own: endpoints, credentials, region. */
  baseEnvironment: Record<string, string>;
  /** Fails a share of invocations as the Lambda service would (CONVEYOR_FAULTS lambda). */
  faults?: FaultInjector;
}

/** lib/function.ts writes each function's map to cdk.out/sourcemaps/<function>.mjs.map. */
function sourceMapOf(cdkOut: string, functionFolder: string | undefined): string | undefined {
  if (!functionFolder) return undefined;
  const file = path.join(cdkOut, 'sourcemaps', `${functionFolder}.mjs.map`);
  return existsSync(file) ? file : undefined;
}

/** The local Lambda service: every AWS::Lambda::Function of the template, runnable by logical id, name or ARN. */
export class LambdaRuntime {
  private readonly byKey = new Map<string, LocalFunction>();
  private readonly logs: WriteStream[] = [];
  private stopping: Promise<void> | undefined;
  readonly functions: LocalFunction[] = [];

  constructor(private readonly options: LambdaRuntimeOptions) {
    mkdirSync(options.logDir, { recursive: true });
  }

  /** Local names and ARNs, known before any environment is resolved (functions may reference each other). */
  static identities(template: CfnTemplate, stackName: string): Map<string, LocalResource> {
    const identities = new Map<string, LocalResource>();
    for (const [logicalId] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const functionName = `${stackName}-${logicalId}`;
      const arn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`;
      identities.set(logicalId, { ref: functionName, attributes: { Arn: arn } });
    }
    return identities;
  }

  register(template: CfnTemplate, resolver: IntrinsicResolver, identities: Map<string, LocalResource>): void {
    for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const props = resource.Properties ?? {};
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') {
        throw new Error(`Function ${logicalId} has no bundled asset in cdk.out; synthesize with bundling enabled.`);
      }
      const identity = identities.get(logicalId) as LocalResource;
      const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<
        string,
        unknown
      >;
      const environment: Record<string, string> = {
        ...Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolver.resolveString(value)])),
        ...this.options.baseEnvironment,
        AWS_LAMBDA_FUNCTION_NAME: identity.ref,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props.MemorySize ?? 128),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${identity.ref}`,
        LAMBDA_TASK_ROOT: path.join(this.options.cdkOut, assetPath),
      };
      // Named after the function's folder under lambdas/ (place-order.log), as the README says; the logical id otherwise.
      const log = createWriteStream(path.join(this.options.logDir, `${environment.CONVEYOR_FUNCTION ?? logicalId}.log`), { flags: 'a' });
      this.logs.push(log);
      const fn = new LocalFunction(
        {
          logicalId,
          functionName: identity.ref,
          functionArn: identity.attributes.Arn as string,
          codeDir: path.join(this.options.cdkOut, assetPath),
          handler: String(props.Handler ?? 'index.handler'),
          memorySize: Number(props.MemorySize ?? 128),
          timeoutSeconds: Number(props.Timeout ?? 3),
          environment,
          sourceMap: sourceMapOf(this.options.cdkOut, environment.CONVEYOR_FUNCTION),
        },
        log,
        this.options.faults,
      );
      this.functions.push(fn);
      for (const key of [logicalId, identity.ref, identity.attributes.Arn as string]) this.byKey.set(key, fn);
    }
  }

  /** Adds a function that is not in the template (test fixtures), under `name`. */
  registerLocal(input: {
    name: string;
    codeDir: string;
    handler?: string;
    timeoutSeconds?: number;
    environment?: Record<string, string>;
  }): LocalFunction {
    const functionArn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${input.name}`;
    const log = createWriteStream(path.join(this.options.logDir, `${input.name}.log`), { flags: 'a' });
    this.logs.push(log);
    const fn = new LocalFunction(
      {
        logicalId: input.name,
        functionName: input.name,
        functionArn,
        codeDir: input.codeDir,
        handler: input.handler ?? 'index.handler',
        memorySize: 256,
        timeoutSeconds: input.timeoutSeconds ?? 10,
        environment: { ...this.options.baseEnvironment, ...input.environment, AWS_LAMBDA_FUNCTION_NAME: input.name },
      },
      log,
      this.options.faults,
    );
    this.functions.push(fn);
    for (const key of [input.name, functionArn]) this.byKey.set(key, fn);
    return fn;
  }

  /** Finds a function by logical id, name, ARN, or ARN with a qualifier. */
  get(key: string): LocalFunction {
    const fn = this.byKey.get(key) ?? this.byKey.get(key.replace(/:(\$LATEST|\d+)$/, ''));
    if (!fn) throw new Error(`No local function named ${key}`);
    return fn;
  }

  /** Invocations that have not returned yet, by function (logical id), for a drain to wait for. */
  inFlight(): Map<string, number> {
    const busy = new Map<string, number>();
    for (const fn of this.functions) if (fn.inFlight) busy.set(fn.definition.logicalId, fn.inFlight);
    return busy;
  }

  /** Ends every worker (invocations still running fail with Runtime.ExitError) and closes the logs; once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.functions.map((fn) => fn.stop()));
      await Promise.all(this.logs.map((log) => new Promise((resolve) => log.end(resolve))));
    })();
    return this.stopping;
  }
}
