import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalCloud, startLocalCloud } from './cloud.js';
import { LocalCloudError } from './processes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// CONVEYOR_STATE_DIR moves data, logs and endpoints.json elsewhere (the benchmarks use a temporary folder).
const stateDir = path.resolve(process.env.CONVEYOR_STATE_DIR ?? path.join(root, '.local'));

function summary(cloud: LocalCloud, seconds: string): string {
  const { endpoints } = cloud;
  return [
    '',
    `Conveyor's local cloud is up (${seconds} s).`,
    '',
    `  HTTP API        ${endpoints.api}        try: curl ${endpoints.api}/health`,
    `  OpenAPI         ${endpoints.api}/openapi.json`,
    `  Console         ${endpoints.console}/   sign in with the ops or warehouse key from endpoints.json`,
    `  Mailbox (SES)   ${endpoints.mailbox}`,
    `  DynamoDB        ${endpoints.dynamodb}   table ${cloud.tableName}`,
    `  SQS and S3      ${endpoints.sqs}   buckets ${Object.values(endpoints.buckets).join(', ')}`,
    `  Step Functions  ${endpoints.stepfunctions}   executions and histories kept in ${path.relative(process.cwd(), path.join(stateDir, 'stepfunctions'))}/`,
    '',
    `  Keys, endpoints ${path.relative(process.cwd(), path.join(stateDir, 'endpoints.json'))}`,
    `  Function logs   ${path.relative(process.cwd(), path.join(stateDir, 'logs'))}/`,
    '',
    `  curl -H "Authorization: Bearer ${endpoints.keys.storefront}" ${endpoints.api}/products/MUG-001`,
    '',
    ...(cloud.resumed
      ? [`Resumed ${cloud.resumed} workflow execution${cloud.resumed === 1 ? '' : 's'} that the last stop interrupted.`]
      : []),
    `Data is kept in ${path.relative(process.cwd(), stateDir)}/ between runs (delete it to start afresh). Press Ctrl-C to stop.`,
  ].join('\n');
}

/** How long a stop waits for work in flight (requests, invocations, workflow steps) before cutting it off. */
const GRACE_MS = 10_000;

async function main(): Promise<void> {
  const started = Date.now();
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65_530) {
    throw new LocalCloudError(`PORT must be a port number between 1 and 65530, not "${process.env.PORT}".`);
  }
  let cloud: LocalCloud | undefined;
  let signals = 0;
  let firstSignal = '';

  const stop = async (signal: string, running: LocalCloud) => {
    console.log(
      `\n${signal}: stopping. New requests get 503; work in flight has ${GRACE_MS / 1000} s to finish (Ctrl-C again to stop at once).`,
    );
    await running.stop({ graceMs: GRACE_MS, reason: signal, log: (line) => console.log(`• ${line}`) });
    console.log(`Stopped (DynamoDB Local last). Data is kept in ${path.relative(process.cwd(), stateDir)}/.`);
    process.exit(0);
  };
  // A second Ctrl-C: no more waiting, but DynamoDB Local's JVM (a process group of its own) is still stopped.
  const stopAtOnce = async (signal: string) => {
    console.log(`\n${signal} again: stopping at once; workflows still running resume at the next npm start.`);
    await cloud?.kill();
    process.exit(130);
  };
  const onSignal = (signal: string) => {
    signals++;
    if (signals === 1) {
      firstSignal = signal;
      if (cloud) void stop(signal, cloud).catch(failed);
      else console.log(`\n${signal}: stopping as soon as start-up has reached a safe point (Ctrl-C again to stop at once).`);
    } else if (signals === 2) {
      void stopAtOnce(signal).catch(failed);
    } else {
      // The exit hook (local/processes.ts killOnExit) still kills the JVM.
      process.exit(130);
    }
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // A closed terminal: stop as for Ctrl-C. Output has nowhere to go then, and failing to write it must not stop the stop.
  process.on('SIGHUP', () => onSignal('SIGHUP'));
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EIO' && error.code !== 'EPIPE') throw error;
    });
  }

  cloud = await startLocalCloud({ root, stateDir, persist: true, port, log: (line) => console.log(`• ${line}`) });
  if (signals > 0) return stop(firstSignal, cloud);
  console.log(summary(cloud, ((Date.now() - started) / 1000).toFixed(1)));
}

function failed(error: unknown): never {
  if (error instanceof LocalCloudError) {
    console.error(`\n✖ ${error.message}`);
  } else {
    console.error('\n✖ The local cloud failed:', error);
  }
  process.exit(1);
}

main().catch(failed);
