import { type ChildProcess, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

/** A problem the person running the local cloud can fix; printed as one sentence, without a stack. */
export class LocalCloudError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalCloudError';
  }
}

/** Resolves once the port can be listened on, or fails with a sentence saying what to do. */
export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new LocalCloudError(
          error.code === 'EADDRINUSE'
            ? `Port ${port} (${what}) is already in use: stop whatever uses it, or choose another port with ${envVar}=<port> npm start.`
            : `Cannot listen on port ${port} (${what}): ${error.message}.`,
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** Asks the OS for a free port (used by tests so parallel runs never collide). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it succeeds or `timeoutMs` passes. */
export async function waitUntil(probe: () => Promise<unknown>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new LocalCloudError(`${what} did not become ready within ${timeoutMs / 1000} s.`, { cause: lastError });
}

/** Stops a child process: SIGTERM, then SIGKILL if it lingers. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function javaMajorVersion(): Promise<number> {
  try {
    const { stderr, stdout } = await promisify(execFile)('java', ['-version']);
    const match = /version "(\d+)(?:\.(\d+))?/.exec(`${stderr}${stdout}`);
    if (!match) return 0;
    // Java 8 and older report "1.8"; from 9 on the first number is the major version.
    return match[1] === '1' ? Number(match[2]) : Number(match[1]);
  } catch {
    return 0;
  }
}
