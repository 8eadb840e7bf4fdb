import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Endpoints } from '../local/cloud.js';
import { freePortBlock } from '../local/processes.js';
import { httpGet, type LatencyReport, measure } from './load.js';

const root = path.resolve(import.meta.dirname, '..');

export interface CatalogBenchResult {
  coldStarts: number[];
  latency: LatencyReport[];
}

interface RunningCloud {
  child: ChildProcess;
  stateDir: string;
  endpoints: Endpoints;
  secondsToHealthy: number;
}

/** Starts `npm start`'s entry point as its own process and times it until GET /health answers 200. */
async function startCloud(): Promise<RunningCloud> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-bench-'));
  const port = await freePortBlock(6);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), CONVEYOR_STATE_DIR: stateDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  const agent = new Agent({ keepAlive: false });
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the local cloud exited with code ${child.exitCode}`);
    const status = await httpGet(`http://127.0.0.1:${port}/health`, {}, agent).catch(() => 0);
    if (status === 200) {
      const secondsToHealthy = (performance.now() - started) / 1000;
      try {
        const endpoints = JSON.parse(readFileSync(path.join(stateDir, 'endpoints.json'), 'utf8')) as Endpoints;
        return { child, stateDir, endpoints, secondsToHealthy };
      } catch (error) {
        child.kill('SIGINT');
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGINT');
  throw new Error('the local cloud did not become healthy within 60 s');
}

async function stopCloud(cloud: RunningCloud): Promise<void> {
  const exited = new Promise((resolve) => cloud.child.once('exit', resolve));
  cloud.child.kill('SIGINT');
  await exited;
  rmSync(cloud.stateDir, { recursive: true, force: true });
}

export async function benchCatalog(log: (line: string) => void): Promise<CatalogBenchResult> {
  const coldStarts: number[] = [];
  for (let run = 1; run <= 3; run++) {
    const cloud = await startCloud();
    coldStarts.push(cloud.secondsToHealthy);
    log(`cold start ${run}/3: healthy in ${cloud.secondsToHealthy.toFixed(2)} s`);
    await stopCloud(cloud);
  }

  const cloud = await startCloud();
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const url = `${cloud.endpoints.api}/products/MUG-001`;
    const headers = { authorization: `Bearer ${cloud.endpoints.keys.storefront}` };
    const call = () => httpGet(url, headers, agent);
    await measure(call, 8, 500); // warm every worker and connection first
    const latency: LatencyReport[] = [];
    for (const [concurrency, total] of [
      [1, 2000],
      [32, 10_000],
    ] as const) {
      const report = await measure(call, concurrency, total);
      log(
        `GET /products/{sku} c=${concurrency}: ${report.throughput.toFixed(0)} req/s, p50 ${report.p50.toFixed(2)} ms, p99 ${report.p99.toFixed(2)} ms, errors ${report.errors}`,
      );
      latency.push(report);
    }
    agent.destroy();
    return { coldStarts, latency };
  } finally {
    await stopCloud(cloud);
  }
}
