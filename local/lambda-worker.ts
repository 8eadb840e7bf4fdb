// Runs one local Lambda function inside a worker thread. Plain, erasable TypeScript with no project
// imports: Node 24 strips the types itself, so no loader is needed inside the worker.
import { existsSync, readFileSync } from 'node:fs';
import { registerHooks, SourceMap } from 'node:module';
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
  /** A file URL of the folder the AWS SDK is resolved from, as the Lambda runtime provides it. */
  runtimeModules: string;
  sourceMap?: string;
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

// Bundles leave the AWS SDK out because the Lambda runtime provides it; here, the project's copy does.
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (!specifier.startsWith('@aws-sdk/')) return nextResolve(specifier, context);
    return nextResolve(specifier, { ...context, parentURL: settings.runtimeModules });
  },
});

/** Stack frames in the bundle are shown at their place in the TypeScript source, from the map kept beside the assets. */
function mapStackTraces(bundle: string, mapFile: string): void {
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
  const mapDir = path.dirname(mapFile);
  const bundleUrl = pathToFileURL(bundle).href;
  const original = (frame: NodeJS.CallSite): string | undefined => {
    const file = frame.getFileName();
    if (file !== bundleUrl && file !== bundle) return undefined;
    const entry = map.findEntry((frame.getLineNumber() ?? 1) - 1, (frame.getColumnNumber() ?? 1) - 1);
    if (!('originalSource' in entry)) return undefined;
    const source = path.relative(process.cwd(), path.resolve(mapDir, entry.originalSource));
    return `${frame.getFunctionName() ?? '<anonymous>'} (${source}:${entry.originalLine + 1}:${entry.originalColumn + 1})`;
  };
  Error.prepareStackTrace = (error, frames) =>
    [`${(error as Error).name}: ${(error as Error).message}`, ...frames.map((frame) => `    at ${original(frame) ?? String(frame)}`)].join(
      '\n',
    );
}

async function loadHandler(): Promise<Handler> {
  const [file, exportName] = [
    settings.handler.slice(0, settings.handler.lastIndexOf('.')),
    settings.handler.slice(settings.handler.lastIndexOf('.') + 1),
  ];
  const candidates = ['.mjs', '.cjs', '.js'].map((ext) => path.join(settings.codeDir, `${file}${ext}`));
  const modulePath = candidates.find((candidate) => existsSync(candidate));
  if (!modulePath) throw Object.assign(new Error(`Cannot find module '${file}'`), { name: 'Runtime.ImportModuleError' });
  if (settings.sourceMap) mapStackTraces(modulePath, settings.sourceMap);
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
