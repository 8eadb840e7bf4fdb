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

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base port whose next `size - 1` neighbours are free too, for a whole local cloud (`PORT` and up).
 * Chosen below Linux's ephemeral range (32768+), where the OS hands out ports to other sockets.
 */
export async function freePortBlock(size: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    let free = true;
    for (let port = base; port < base + size && free; port++) free = await isPortFree(port);
    if (free) return base;
  }
  throw new Error(`No block of ${size} free ports found between 20000 and 30000.`);
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
