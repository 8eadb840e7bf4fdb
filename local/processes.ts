import { type ChildProcess, execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

/** A problem the person running the local cloud can fix; printed as one sentence, without a stack. */
export class LocalCloudError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalCloudError';
  }
}

/** The process listening on a TCP port of 127.0.0.1 (Linux only: found through /proc), for saying who holds a port. */
export function listenerOf(port: number): { pid: number; commandLine: string } | undefined {
  if (process.platform !== 'linux') return undefined;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; field 9 is the socket's inode.
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
    }
  }
  if (!inodes.size) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch (error) {
      // Another user's process (EACCES) or one that just exited (ENOENT): it cannot be ours to reclaim.
      if (['EACCES', 'ENOENT', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) continue;
      throw error;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch (error) {
        // The descriptor closed while we looked, or belongs to a process we may not inspect.
        if (['EACCES', 'ENOENT', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) continue;
        throw error;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        const pid = Number(entry);
        return { pid, commandLine: commandLineOf(pid) ?? '' };
      }
    }
  }
  return undefined;
}

/** Resolves once the port can be listened on, or fails with a sentence saying what to do. */
export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(new LocalCloudError(`Cannot listen on port ${port} (${what}): ${error.message}.`));
      const holder = listenerOf(port);
      const who = holder ? ` by pid ${holder.pid} (${holder.commandLine.slice(0, 120)})` : '';
      reject(
        new LocalCloudError(
          `Port ${port} (${what}) is already in use${who}: stop whatever uses it, or choose another port with ${envVar}=<port> npm start.`,
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

export async function isPortFree(port: number): Promise<boolean> {
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

const exitGuarded = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Kills `child` when this process exits by any path that still runs JavaScript (process.exit, an
 * uncaught exception), so a detached child (DynamoDB Local's JVM) never outlives the local cloud
 * by accident. Only SIGKILL of this process escapes it; the next start reclaims what that leaves.
 */
export function killOnExit(child: ChildProcess): void {
  // One hook for the life of the process (each local cloud a test starts and stops used to add another).
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const guarded of exitGuarded) if (guarded.exitCode === null && guarded.signalCode === null) guarded.kill('SIGKILL');
    });
  }
  exitGuarded.add(child);
  child.once('exit', () => exitGuarded.delete(child));
}

/** Whether a process with this pid runs (EPERM: another user's, still running). A zombie does not count. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An orphan killed under an init that does not reap stays a zombie: it holds no port and no file any more.
  if (process.platform !== 'linux') return true;
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** A process's command line (arguments joined by spaces), or undefined when it does not run any more. */
export function commandLineOf(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  if (process.platform === 'linux') {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch (error) {
      // It exited between the two checks.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
  // macOS and the BSDs have no /proc; ps prints the full command line.
  try {
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch (error) {
    // ps exits 1 when the pid is gone.
    if ((error as { status?: number }).status === 1) return undefined;
    throw error;
  }
}

/** Stops a process that is not our child (left by a previous run): SIGTERM, then SIGKILL; resolves once it is gone. */
export async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch (error) {
      // ESRCH: it exited on its own meanwhile, which is what we want.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!isAlive(pid)) return;
  signal('SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < killDeadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid))
    throw new LocalCloudError(`Process ${pid} does not stop even with SIGKILL; stop it by hand (kill -9 ${pid}) and start again.`);
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
