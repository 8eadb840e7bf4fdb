import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import * as path from 'node:path';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import sesModule from 'aws-ses-v2-local';
import { startFauxqs } from 'fauxqs';
import { SANDBOX_GATEWAY_FAULT_RATE } from '../lambdas/adapters/sandbox-gateway.js';
import { SECRET_MAX_AGE_SECONDS } from '../lambdas/adapters/secrets-manager-store.js';
import { ensureConsoleBuilt } from '../lib/console-build.js';
import { consoleHandler } from './console.js';
import { createTables, type DynamoDbLocal, LOCAL_CREDENTIALS, startDynamoDbLocal } from './dynamodb.js';
import { DynamoDbThrottler } from './dynamodb-faults.js';
import { DynamoDbMeter } from './dynamodb-meter.js';
import { describeFaults, FaultInjector, type FaultRates, parseFaults } from './faults.js';
import { apiGatewayIdentities, LocalHttpApi, routesFromTemplate } from './http-api.js';
import { LambdaRuntime } from './lambda-runtime.js';
import { assertPortFree, freePortBlock } from './processes.js';
import { claimStateDir, reclaimPreviousRun } from './reclaim.js';
import { createBuckets } from './s3.js';
import { LocalSchedules } from './schedules.js';
import { LocalSecrets } from './secrets.js';
import { type DevelopmentKeys, seedDemoCatalog, seedDevelopmentKeys } from './seed.js';
import type { SdkClient } from './sfn/tasks.js';
import { applyRedrivePolicies, createQueues, SqsPollers } from './sqs.js';
import { LocalStepFunctions } from './stepfunctions.js';
import { StreamPollers } from './streams.js';
import { ensureCloudAssembly } from './synth.js';
import {
  type CfnTemplate,
  IntrinsicResolver,
  iamRoleIdentities,
  LOCAL_REGION,
  type LocalResource,
  loadTemplate,
  resourcesOfType,
} from './template.js';

export const STACK_NAME = 'Conveyor';

// aws-ses-v2-local is CommonJS with an `exports.default`; under ESM it arrives wrapped once more.
type StartSes = (config?: { port?: number; host?: string }) => Promise<Server>;
const sesServer = ((sesModule as unknown as { default?: StartSes }).default ?? sesModule) as StartSes;

/** `.local/endpoints.json`, the contract of API.md §Local mode. */
export interface Endpoints {
  api: string;
  console: string;
  mailbox: string;
  dynamodb: string;
  sqs: string;
  stepfunctions: string;
  s3: string;
  /** The Secrets Manager stand-in (local/secrets.ts), an extension of the contract. */
  secretsmanager: string;
  keys: DevelopmentKeys;
  /** The carrier webhook secret's current value: what carriers (and `npm run carrier`) sign webhooks with. */
  carrierSecret: string;
  /** The DynamoDB table's local name (an extension of the contract, used by `npm run keys`). */
  table: string;
  /** The template's S3 buckets by logical id without CDK's hash (`FinanceLedger`), with their local names (an extension too). */
  buckets: Record<string, string>;
}

export interface LocalCloudOptions {
  /** The project root (holds cdk.json). */
  root: string;
  /** Where data, logs and endpoints.json go (`.local` for npm start, a temporary folder in tests). */
  stateDir: string;
  /** Keep DynamoDB data on disk under stateDir; tests run in memory. */
  persist: boolean;
  /** The API's port; the emulators take the next ones. 0 picks free ports (tests). */
  port: number;
  log?: (line: string) => void;
  /** Scales Step Functions Retry intervals and Wait states; tests run at 0.01. Default 1. */
  timeScale?: number;
  /** Count DynamoDB requests made by functions and workflows through a proxy (benchmarks). */
  meterDynamoDb?: boolean;
  /** Fault injection rates (local/faults.ts); by default read from CONVEYOR_FAULTS, and off when that is unset. */
  faults?: FaultRates;
  /** Functions outside the template (test fixtures), registered by name. */
  extraFunctions?: { name: string; codeDir: string; handler?: string; timeoutSeconds?: number }[];
}

export interface StopOptions {
  /** How long work in flight (HTTP requests, Lambda invocations, workflow steps, queue batches) may take to finish. Default 10 s. */
  graceMs?: number;
  /** What stopped it, for the interrupted executions' history (e.g. "SIGINT"). */
  reason?: string;
  /** Progress: what the stop waits for, and how it leaves the workflows. */
  log?: (line: string) => void;
}

export interface LocalCloud {
  endpoints: Endpoints;
  tableName: string;
  lambdas: LambdaRuntime;
  stepFunctions: LocalStepFunctions;
  /** Present when started with `meterDynamoDb`. */
  dynamoDbMeter?: DynamoDbMeter;
  /** The fault rates in force and the faults injected so far. */
  faults: FaultInjector;
  /** Workflow executions the previous stop (or crash) interrupted, resumed at this start. */
  resumed: number;
  /**
   * Stops like a server: new HTTP requests get 503, work in flight finishes (up to `graceMs`), workflow
   * executions are recorded where they are so the next start resumes them, the SQS pollers stop, and
   * DynamoDB Local stops last.
   */
  stop(options?: StopOptions): Promise<void>;
  /** Stops at once (a second Ctrl-C): DynamoDB Local's JVM is still stopped; workflows are left as a crash leaves them. */
  kill(): Promise<void>;
}

interface Ports {
  api: number;
  dynamodb: number;
  sqs: number;
  ses: number;
  stepfunctions: number;
  secretsmanager: number;
}

/** The API on `base`, the emulators on the next five ports. 0 (tests, benchmarks) means a free block outside the ephemeral range. */
function portsFrom(base: number): Ports {
  return { api: base, dynamodb: base + 1, sqs: base + 2, ses: base + 3, stepfunctions: base + 4, secretsmanager: base + 5 };
}

/**
 * How long functions keep a secret's value (POWERTOOLS_PARAMETERS_MAX_AGE): AWS's 5 minutes, scaled like the
 * workflow's waits, so a test that rotates a secret sees the rotation taken up in seconds (at least 1 s).
 */
export function secretMaxAgeSeconds(timeScale = 1): number {
  return Math.max(1, Math.round(SECRET_MAX_AGE_SECONDS * timeScale));
}

/** The ARN the template gives functions in CARRIER_WEBHOOK_SECRET_ARN (the carrier webhook secret), resolved locally. */
function carrierWebhookSecretArn(template: CfnTemplate, resolver: IntrinsicResolver): string | undefined {
  for (const [, resource] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    if (variables?.CARRIER_WEBHOOK_SECRET_ARN !== undefined) return resolver.resolveString(variables.CARRIER_WEBHOOK_SECRET_ARN);
  }
  return undefined;
}

async function assertPortsFree(ports: Ports): Promise<void> {
  for (const [what, port] of Object.entries(ports))
    await assertPortFree(port, what === 'api' ? 'the HTTP API' : `the ${what} emulator`, 'PORT');
}

/** SDK clients for Step Functions tasks, pointed at the local emulators; built on first use. */
function sdkClients(endpoints: { dynamodb: string; sqs: string; ses: string; stepfunctions: string }) {
  const modules: Record<string, { load: () => Promise<Record<string, unknown>>; client: string; endpoint: string }> = {
    dynamodb: { load: () => import('@aws-sdk/client-dynamodb'), client: 'DynamoDBClient', endpoint: endpoints.dynamodb },
    sqs: { load: () => import('@aws-sdk/client-sqs'), client: 'SQSClient', endpoint: endpoints.sqs },
    sesv2: { load: () => import('@aws-sdk/client-sesv2'), client: 'SESv2Client', endpoint: endpoints.ses },
    sfn: { load: () => import('@aws-sdk/client-sfn'), client: 'SFNClient', endpoint: endpoints.stepfunctions },
  };
  const built = new Map<string, Promise<{ client: SdkClient; commands: Record<string, unknown> }>>();
  return (service: string) => {
    const spec = modules[service];
    if (!spec) return Promise.reject(new Error(`The local cloud has no ${service} service.`));
    let entry = built.get(service);
    if (!entry) {
      entry = spec.load().then((commands) => {
        const Client = commands[spec.client] as new (config: object) => SdkClient;
        // The SES emulator never answers actions it does not know: bound every call.
        const client = new Client({
          endpoint: spec.endpoint,
          region: LOCAL_REGION,
          credentials: LOCAL_CREDENTIALS,
          requestHandler: { requestTimeout: 10_000 },
        });
        return { client, commands };
      });
      built.set(service, entry);
    }
    return entry;
  };
}

function previousKeys(file: string): Partial<DevelopmentKeys> {
  if (!existsSync(file)) return {};
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as Partial<Endpoints>).keys ?? {};
  } catch {
    return {};
  }
}

/** Names a function by its logical id without CDK's hash suffix (PlaceOrderFunction, not PlaceOrderFunction1A2B3C4D). */
const shortName = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

function counted(what: [string, string], count: number, parts?: Map<string, number>, name = (part: string) => part): string {
  const detail = parts?.size ? ` (${[...parts].map(([part, n]) => (n > 1 ? `${name(part)} ×${n}` : name(part))).join(', ')})` : '';
  return `${count} ${count === 1 ? what[0] : what[1]}${detail}`;
}

const sum = (parts: Map<string, number>) => [...parts.values()].reduce((total, n) => total + n, 0);

/** Boots the whole local cloud from the synthesized app. Every step that fails undoes the ones before it. */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  const runStops = async (report: (line: string) => void) => {
    for (const step of stops.reverse()) {
      await step().catch((error: unknown) => report(`While stopping: ${(error as Error).message}`));
    }
    stops.length = 0;
  };
  try {
    mkdirSync(options.stateDir, { recursive: true });
    const faults = new FaultInjector(
      options.faults ?? parseFaults(process.env.CONVEYOR_FAULTS),
      Math.random,
      path.join(options.stateDir, 'logs'),
    );
    if (faults.enabled) log(`Fault injection is on: ${describeFaults(faults.rates)}.`);
    const cdkOut = await ensureCloudAssembly(options.root, log);
    const template = loadTemplate(cdkOut, STACK_NAME);
    const consoleDist = ensureConsoleBuilt(options.root, log);
    const ports = portsFrom(options.port === 0 ? await freePortBlock(6) : options.port);
    const dynamoDbDataDir = options.persist ? path.join(options.stateDir, 'dynamodb') : undefined;
    if (dynamoDbDataDir) {
      // Before the ports are checked: a crashed run's DynamoDB Local still holds its port.
      await reclaimPreviousRun({ stateDir: options.stateDir, dynamoDbDataDir, ports: Object.values(ports), log });
    }
    await assertPortsFree(ports);
    const claim = options.persist ? claimStateDir(options.stateDir) : undefined;
    if (claim) stops.push(async () => claim.release());

    log('Starting DynamoDB Local, SQS/S3 (fauxqs) and SES emulators…');
    const [dynamoStarted, fauxqsStarted, sesStarted] = await Promise.allSettled([
      startDynamoDbLocal({ port: ports.dynamodb, dataDir: dynamoDbDataDir }),
      startFauxqs({
        port: ports.sqs,
        host: '127.0.0.1',
        logger: false,
        defaultRegion: LOCAL_REGION,
        // Written through to SQLite at once: queued messages (carrier events) survive a stop and a crash.
        ...(options.persist ? { dataDir: path.join(options.stateDir, 'sqs') } : {}),
      }),
      sesServer({ port: ports.ses, host: '127.0.0.1' }),
    ]);
    // In this order whatever else started: stops run in reverse, and DynamoDB Local must stop last,
    // after every workflow and function that still writes to it.
    if (dynamoStarted.status === 'fulfilled') stops.push(() => dynamoStarted.value.stop());
    if (fauxqsStarted.status === 'fulfilled') stops.push(() => fauxqsStarted.value.stop());
    if (sesStarted.status === 'fulfilled') {
      const server = sesStarted.value;
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    }
    for (const started of [dynamoStarted, fauxqsStarted, sesStarted]) if (started.status === 'rejected') throw started.reason;
    const dynamo = (dynamoStarted as PromiseFulfilledResult<DynamoDbLocal>).value;
    const fauxqs = (fauxqsStarted as PromiseFulfilledResult<Awaited<ReturnType<typeof startFauxqs>>>).value;
    const dynamoDbMeter = options.meterDynamoDb ? new DynamoDbMeter(dynamo.endpoint) : undefined;
    let serviceDynamoDb = dynamoDbMeter ? await dynamoDbMeter.listen() : dynamo.endpoint;
    if (dynamoDbMeter) stops.push(() => dynamoDbMeter.close());
    if (faults.rates.dynamodb) {
      const throttler = new DynamoDbThrottler(serviceDynamoDb, faults);
      serviceDynamoDb = await throttler.listen();
      stops.push(() => throttler.close());
    }
    const endpoints = {
      dynamodb: serviceDynamoDb,
      sqs: `http://127.0.0.1:${fauxqs.port}`,
      ses: `http://127.0.0.1:${ports.ses}`,
      stepfunctions: `http://127.0.0.1:${ports.stepfunctions}`,
    };

    const sqs = new SQSClient({ endpoint: endpoints.sqs, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    stops.push(async () => sqs.destroy());
    const queues = await createQueues(sqs, template, STACK_NAME);
    const s3 = new S3Client({ endpoint: endpoints.sqs, forcePathStyle: true, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    stops.push(async () => s3.destroy());
    const buckets = await createBuckets(s3, template, STACK_NAME);
    const secrets = new LocalSecrets(template, options.stateDir);
    const secretsEndpoint = await secrets.listen(ports.secretsmanager);
    stops.push(() => secrets.stop());
    const resources = new Map<string, LocalResource>([
      ...(await createTables(dynamo.client, template, STACK_NAME)),
      ...queues,
      ...buckets,
      ...LambdaRuntime.identities(template, STACK_NAME),
      ...apiGatewayIdentities(template),
      ...LocalStepFunctions.identities(template, STACK_NAME),
      ...iamRoleIdentities(template, STACK_NAME),
      ...secrets.identities(),
    ]);
    const resolver = new IntrinsicResolver(resources, STACK_NAME);
    await applyRedrivePolicies(sqs, template, resolver, queues);
    const lambdas = new LambdaRuntime({
      cdkOut,
      logDir: path.join(options.stateDir, 'logs'),
      baseEnvironment: {
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
        AWS_ENDPOINT_URL_SQS: endpoints.sqs,
        AWS_ENDPOINT_URL_S3: endpoints.sqs,
        AWS_ENDPOINT_URL_SESV2: endpoints.ses,
        AWS_ENDPOINT_URL_SFN: endpoints.stepfunctions,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsEndpoint,
        POWERTOOLS_PARAMETERS_MAX_AGE: String(secretMaxAgeSeconds(options.timeScale)),
        // No X-Ray daemon runs locally.
        POWERTOOLS_TRACE_ENABLED: 'false',
        TZ: 'UTC',
        ...(faults.rates.gateway ? { [SANDBOX_GATEWAY_FAULT_RATE]: String(faults.rates.gateway) } : {}),
      },
      faults,
    });
    lambdas.register(template, resolver, resources);
    for (const extra of options.extraFunctions ?? []) lambdas.registerLocal(extra);
    stops.push(() => lambdas.stop());

    const stepFunctions = new LocalStepFunctions({
      lambdas,
      sdk: sdkClients(endpoints),
      stateDir: options.persist ? path.join(options.stateDir, 'stepfunctions') : undefined,
      timeScale: options.timeScale,
      log,
    });
    stepFunctions.loadFromTemplate(template, resolver, cdkOut, STACK_NAME);
    await stepFunctions.listen(ports.stepfunctions);
    stops.push(() => stepFunctions.stop());
    const resumed = stepFunctions.resumeInterrupted();
    if (resumed.resumed) {
      const how = [
        resumed.waiting && `${resumed.waiting} waiting for their task token again`,
        resumed.finishing && `${resumed.finishing} taking up the recorded outcome of their last step`,
        resumed.inDoubt && `${resumed.inDoubt} repeating a call that was in flight`,
      ].filter(Boolean);
      log(
        `Resumed ${resumed.resumed} workflow execution${resumed.resumed === 1 ? '' : 's'} interrupted by the last stop, from where they were${how.length ? ` (${how.join(', ')})` : ''}.`,
      );
    }
    for (const { executionArn, reason } of resumed.notResumed) {
      log(`Not resumed: ${executionArn} (${reason}); it stays FAILED with Local.Interrupted for you to look at.`);
    }

    const pollers = new SqsPollers(sqs, lambdas, faults);
    pollers.register(template, resolver, queues);
    pollers.start();
    stops.push(() => pollers.stop());

    // Lambda's stream poller is the service itself: it reads DynamoDB Local directly, past any fault proxy.
    const streamsClient = new DynamoDBStreamsClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    stops.push(async () => streamsClient.destroy());
    const streams = new StreamPollers({
      streams: streamsClient,
      sqs,
      lambdas,
      checkpointDir: path.join(options.stateDir, 'streams'),
      log,
    });
    streams.register(template, resolver, resources);
    streams.start();
    stops.push(() => streams.stop());

    const schedules = new LocalSchedules(lambdas, options.timeScale, log);
    schedules.register(template, resolver);
    schedules.start();
    stops.push(() => schedules.stop());

    const apiUrl = `http://127.0.0.1:${ports.api}`;

    const [[tableLogicalId]] = resourcesOfType(template, 'AWS::DynamoDB::Table');
    const tableName = resources.get(tableLogicalId as string)?.ref as string;
    log('Seeding the demo catalog and development API keys…');
    await seedDemoCatalog(dynamo.client, tableName);
    const endpointsFile = path.join(options.stateDir, 'endpoints.json');
    const keys = await seedDevelopmentKeys(dynamo.client, tableName, previousKeys(endpointsFile));

    const webhookSecretArn = carrierWebhookSecretArn(template, resolver);
    const carrierSecret = () => (webhookSecretArn && secrets.currentValue(webhookSecretArn)) || '';
    const published: Endpoints = {
      api: apiUrl,
      console: `${apiUrl}/console`,
      mailbox: endpoints.ses,
      dynamodb: dynamo.endpoint,
      sqs: endpoints.sqs,
      stepfunctions: endpoints.stepfunctions,
      s3: endpoints.sqs,
      keys,
      secretsmanager: secretsEndpoint,
      carrierSecret: carrierSecret(),
      table: tableName,
      buckets: Object.fromEntries([...buckets].map(([logicalId, bucket]) => [shortName(logicalId), bucket.ref])),
    };
    writeFileSync(endpointsFile, `${JSON.stringify(published, null, 2)}\n`);
    // A rotation (PutSecretValue on the webhook secret) changes what `npm run carrier` and the tour sign with.
    secrets.onPut = (arn) => {
      if (arn !== webhookSecretArn) return;
      published.carrierSecret = carrierSecret();
      writeFileSync(endpointsFile, `${JSON.stringify(published, null, 2)}\n`);
    };

    // The API listens last: once /health answers, the data is seeded and endpoints.json is written.
    const api = new LocalHttpApi(routesFromTemplate(template, resolver, lambdas), [consoleHandler(consoleDist)]);
    await api.listen(ports.api);
    stops.push(() => api.close());

    let stopping: Promise<void> | undefined;
    const stop = (stopOptions: StopOptions = {}) => {
      stopping ??= (async () => {
        const report = stopOptions.log ?? (() => undefined);
        await drain({ api, pollers, streams, stepFunctions, lambdas }, stopOptions.graceMs ?? 10_000, report);
        const left = stepFunctions.interrupt(`The local cloud stopped (${stopOptions.reason ?? 'stop'})`);
        const interrupted = left.paused + left.waiting + left.inDoubt;
        if (interrupted) {
          report(
            `Workflows: ${[
              left.paused && `${left.paused} paused between steps`,
              left.waiting && `${left.waiting} waiting for a task token`,
              left.inDoubt && `${left.inDoubt} cut off in a call (made again on resume)`,
            ]
              .filter(Boolean)
              .join(', ')}; the next start resumes ${interrupted === 1 ? 'it' : 'them'}.`,
          );
        }
        // Invocations the drain gave up on end here, before the pollers are awaited: a poller waits for its
        // batch's invocation, which must not make the stop wait out the function's timeout.
        await lambdas.stop();
        await runStops(report);
      })();
      return stopping;
    };
    const kill = async () => {
      // The journal of every execution is already on disk; only the JVM, a process of its own, needs stopping.
      await dynamo.stop(1000);
    };
    return { endpoints: published, tableName, lambdas, stepFunctions, dynamoDbMeter, faults, resumed: resumed.resumed, stop, kill };
  } catch (error) {
    await runStops(log);
    throw error;
  }
}

interface Draining {
  api: LocalHttpApi;
  pollers: SqsPollers;
  streams: StreamPollers;
  stepFunctions: LocalStepFunctions;
  lambdas: LambdaRuntime;
}

/** What is still in flight, in words, or '' when nothing is. */
function busyWith({ api, pollers, streams, stepFunctions, lambdas }: Draining): string {
  const steps = stepFunctions.callsInFlight();
  const invocations = lambdas.inFlight();
  return [
    api.inFlight && counted(['HTTP request', 'HTTP requests'], api.inFlight),
    sum(steps) && counted(['workflow step', 'workflow steps'], sum(steps), steps),
    pollers.inFlight && counted(['queue batch', 'queue batches'], pollers.inFlight),
    streams.inFlight && counted(['stream batch', 'stream batches'], streams.inFlight),
    sum(invocations) && counted(['Lambda invocation', 'Lambda invocations'], sum(invocations), invocations, shortName),
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * Lets work in flight finish while no new work starts: the API answers 503, the pollers receive
 * nothing more, and workflow tasks that have not called their service yet wait. Gives up after
 * `graceMs`; what is still in flight then is in doubt, and made again on resume.
 */
async function drain(parts: Draining, graceMs: number, report: (line: string) => void): Promise<void> {
  parts.api.drain();
  parts.pollers.stopPolling();
  parts.streams.stopPolling();
  parts.stepFunctions.drain();
  const deadline = Date.now() + graceMs;
  let reported = 0;
  let quiet = 0;
  // Twice idle in a row: a step that just ended may still be handing its result to the next state.
  while (quiet < 2) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const busy = busyWith(parts);
    quiet = busy ? 0 : quiet + 1;
    if (busy && Date.now() >= deadline) {
      report(`Gave up waiting after ${graceMs / 1000} s for ${busy}.`);
      return;
    }
    if (busy && Date.now() - reported >= 1000) {
      reported = Date.now();
      report(`Waiting for ${busy}…`);
    }
  }
}
