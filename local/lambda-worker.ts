// Runs one local Lambda function inside a worker thread. Plain, erasable TypeScript with no project
// imports: Node 24 strips the types itself, so no loader is needed inside the worker.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

interface WorkerSettings {
  codeDir: string;
  handler: string;
  functionName: string;
  functionArn: string;
  memorySize: number;
  logGroupName: string;
}

interface Invocation {
  id: number;
  requestId: string;
  deadline: number;
  event: unknown;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const settings = workerData as WorkerSettings;
let handlerPromise: Promise<Handler> | undefined;

async function loadHandler(): Promise<Handler> {
  const [file, exportName] = [
    settings.handler.slice(0, settings.handler.lastIndexOf('.')),
    settings.handler.slice(settings.handler.lastIndexOf('.') + 1),
  ];
  const candidates = ['.mjs', '.cjs', '.js'].map((ext) => path.join(settings.codeDir, `${file}${ext}`));
  const modulePath = candidates.find((candidate) => existsSync(candidate));
  if (!modulePath) throw Object.assign(new Error(`Cannot find module '${file}'`), { name: 'Runtime.ImportModuleError' });
  const loaded = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const handler = loaded[exportName] ?? (loaded.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${settings.handler} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return handler as Handler;
}

function contextFor(invocation: Invocation) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: settings.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: settings.functionArn,
    memoryLimitInMB: String(settings.memorySize),
    awsRequestId: invocation.requestId,
    logGroupName: settings.logGroupName,
    logStreamName: `local/${settings.functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function describeError(error: unknown) {
  const err = error instanceof Error ? error : new Error(String(error));
  return { errorType: err.name || 'Error', errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
}

parentPort?.on('message', async (invocation: Invocation) => {
  try {
    handlerPromise ??= loadHandler();
    const handler = await handlerPromise;
    const result = await handler(invocation.event, contextFor(invocation));
    parentPort?.postMessage({ id: invocation.id, result: result === undefined ? null : result });
  } catch (error) {
    // A failed init is retried by the next invocation, as Lambda starts a fresh sandbox.
    if (error instanceof Error && error.name.startsWith('Runtime.')) handlerPromise = undefined;
    parentPort?.postMessage({ id: invocation.id, error: describeError(error) });
  }
});
