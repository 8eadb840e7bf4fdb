import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Endpoints } from '../../local/cloud.js';
import { freePortBlock } from '../../local/processes.js';

const root = path.resolve(import.meta.dirname, '../..');
const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-start-'));

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

/** Runs `npm start`'s entry point as its own process, as a person would. */
function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: root,
    env: { ...process.env, CONVEYOR_STATE_DIR: stateDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function untilUp(started: Started): Promise<Endpoints> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (started.output().includes('local cloud is up')) {
      return JSON.parse(readFileSync(path.join(stateDir, 'endpoints.json'), 'utf8')) as Endpoints;
    }
    if (started.child.exitCode !== null) throw new Error(`npm start exited early:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`npm start did not come up:\n${started.output()}`);
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('serves the API, keeps data across a restart, and leaves no process behind on Ctrl-C', async () => {
    const port = String(await freePortBlock(6));
    const first = start({ PORT: port });
    const endpoints = await untilUp(first);
    const jvm = Number(readFileSync(path.join(stateDir, 'dynamodb.pid'), 'utf8'));
    const put = await fetch(`${endpoints.api}/products/KEEP-ME`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${endpoints.keys.ops}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Kept', price: { amount: 100, currency: 'EUR' }, barcode: '96385074', weightGrams: 10 }),
    });
    expect(put.status).toBe(200);
    expect(first.output()).toContain(`${endpoints.api}`);

    first.child.kill('SIGINT');
    expect(await first.exit).toBe(0);
    expect(isRunning(jvm)).toBe(false);

    const second = start({ PORT: port });
    const again = await untilUp(second);
    const get = await fetch(`${again.api}/products/KEEP-ME`, { headers: { authorization: `Bearer ${again.keys.storefront}` } });
    expect(get.status).toBe(200);
    expect(again.keys).toEqual(endpoints.keys);
    // The generated carrier webhook secret is kept in .local/secrets.json: carriers' signatures stay valid.
    expect(again.carrierSecret).toBe(endpoints.carrierSecret);
    expect(endpoints.carrierSecret).toMatch(/^[A-Za-z0-9]{32,}$/);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });

  it('says in one sentence what to do when the port is taken', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const started = start({ PORT: String(port) });
      expect(await started.exit).toBe(1);
      expect(started.output()).toContain(`Port ${port} (the HTTP API) is already in use`);
      expect(started.output()).toContain('PORT=<port> npm start');
      expect(started.output()).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      blocker.close();
    }
  });

  it('says what to install when Java is missing', async () => {
    const started = start({ PORT: String(await freePortBlock(6)), PATH: path.join(root, 'node_modules', '.bin') });
    expect(await started.exit).toBe(1);
    expect(started.output()).toContain('Java was not found');
  });
});
