import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { type Endpoints, startLocalCloud } from '../../local/cloud.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `logDir` holds each function's log (`<function>.log`, by its folder under lambdas/), for tests that look for a metric. */
    cloud: Endpoints & { tableName: string; logDir: string };
  }
}

/** Boots one in-memory local cloud on free ports for the whole integration run. */
export default async function setup(project: TestProject) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-it-'));
  const root = path.resolve(import.meta.dirname, '..', '..');
  const started = Date.now();
  // The local cloud's own lines (the local Step Functions' among them) also go beside the functions' logs, so a
  // test can read every log the cloud wrote (test/integration/pii.test.ts).
  const logDir = path.join(stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const cloudLog = path.join(logDir, 'local-cloud.log');
  const cloud = await startLocalCloud({
    root,
    stateDir,
    persist: false,
    port: 0,
    // Retry intervals and Wait states run at 1/100 of their time, so backoff tests take milliseconds.
    timeScale: 0.01,
    extraFunctions: [{ name: 'test-steps', codeDir: path.join(root, 'test', 'fixtures', 'functions', 'steps'), timeoutSeconds: 5 }],
    log: (line) => {
      console.log(`[local cloud] ${line}`);
      appendFileSync(cloudLog, `${line}\n`);
    },
  });
  console.log(`[local cloud] up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${cloud.endpoints.api}`);
  project.provide('cloud', { ...cloud.endpoints, tableName: cloud.tableName, logDir });
  return async () => {
    await cloud.stop();
    // CONVEYOR_KEEP_STATE=1 keeps the data and the functions' logs for a look after a failed run.
    if (process.env.CONVEYOR_KEEP_STATE) console.log(`[local cloud] state and logs kept in ${stateDir}`);
    else rmSync(stateDir, { recursive: true, force: true });
  };
}
