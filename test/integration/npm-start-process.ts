import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Endpoints } from '../../local/cloud.js';

const root = path.resolve(import.meta.dirname, '../..');

/** `npm start`'s entry running as a process of its own, with what it printed so far. */
export interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

const running: ChildProcess[] = [];

/** Kills what a test left running; call it from afterEach. */
export function killStarted(): void {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** `npm start`'s entry as its own process group, so a Ctrl-C can reach it as a terminal sends it. */
export function startNpm(stateDir: string, port: number): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: root,
    env: { ...process.env, CONVEYOR_STATE_DIR: stateDir, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  running.push(child);
  return { child, output: () => output, exit };
}

/** Waits until the local cloud says it is up, and gives its endpoints; fails at once if it exited. */
export async function untilUp(started: Started, stateDir: string, timeoutMs = 90_000): Promise<Endpoints> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.output().includes('local cloud is up')) {
      return JSON.parse(readFileSync(path.join(stateDir, 'endpoints.json'), 'utf8')) as Endpoints;
    }
    if (started.child.exitCode !== null) throw new Error(`npm start exited early:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`npm start did not come up:\n${started.output()}`);
}
