import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandLineOf, isAlive } from '../../local/processes.js';
import { reclaimPreviousRun } from '../../local/reclaim.js';

// What npm start does with what a previous run left in its state folder, before it checks its ports.

const children: ChildProcess[] = [];
const folders: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A process that is neither a local cloud nor DynamoDB Local, running until the test ends. */
async function bystander(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child.pid as number;
}

function stateDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-reclaim-'));
  folders.push(dir);
  return { dir, dynamoDbDataDir: path.join(dir, 'dynamodb') };
}

describe('reclaiming what a previous local cloud left', () => {
  it('refuses to start while the local cloud named by the run file still runs, saying how to stop it', async () => {
    const { dir, dynamoDbDataDir } = stateDir();
    const pid = await bystander();
    writeFileSync(
      path.join(dir, 'local-cloud.pid'),
      JSON.stringify({ pid, commandLine: commandLineOf(pid), startedAt: '2026-01-01T00:00:00.000Z' }),
    );
    await expect(reclaimPreviousRun({ stateDir: dir, dynamoDbDataDir, ports: [], log: () => undefined })).rejects.toThrow(
      `Another local cloud (pid ${pid}, started 2026-01-01T00:00:00.000Z) is running on ${dir}: stop it first (Ctrl-C in its terminal, or kill ${pid})`,
    );
  });

  it('takes a run file whose pid now runs something else for a crash, and leaves a process that is not its DynamoDB Local alone', async () => {
    const { dir, dynamoDbDataDir } = stateDir();
    const pid = await bystander();
    writeFileSync(path.join(dir, 'local-cloud.pid'), JSON.stringify({ pid, commandLine: 'node local/main.ts', startedAt: 'then' }));
    writeFileSync(`${dynamoDbDataDir}.pid`, String(pid));
    const lines: string[] = [];

    await reclaimPreviousRun({ stateDir: dir, dynamoDbDataDir, ports: [], log: (line) => lines.push(line) });

    expect(lines).toEqual([
      `The previous local cloud (pid ${pid}) did not shut down cleanly; reclaiming what it left.`,
      `${dynamoDbDataDir}.pid names pid ${pid}, which is not this project's DynamoDB Local; leaving that process alone.`,
    ]);
    expect(isAlive(pid)).toBe(true);
    expect(existsSync(path.join(dir, 'local-cloud.pid'))).toBe(false);
    expect(existsSync(`${dynamoDbDataDir}.pid`)).toBe(false);
  });
});
