import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dynamoDbPidFile, isOurDynamoDbLocal } from './dynamodb.js';
import { commandLineOf, isAlive, isPortFree, LocalCloudError, listenerOf, stopPid } from './processes.js';

/**
 * A persistent local cloud (`npm start`) owns its state folder while it runs: this file names its
 * process. A clean stop removes it; finding it at start means the last run crashed or was killed,
 * or that another local cloud is running on the same folder.
 */
const RUN_FILE = 'local-cloud.pid';

interface RunRecord {
  pid: number;
  /** The process's command line when it started: a pid alone may have been reused since. */
  commandLine: string;
  startedAt: string;
}

function readRunRecord(file: string): RunRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  } catch (error) {
    // A crash while the file was being written: there is nothing to learn from it.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Marks the state folder as owned by this process; `release` unmarks it on a clean stop. */
export function claimStateDir(stateDir: string): { release: () => void } {
  const file = path.join(stateDir, RUN_FILE);
  const record: RunRecord = { pid: process.pid, commandLine: commandLineOf(process.pid) ?? '', startedAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  return { release: () => rmSync(file, { force: true }) };
}

/**
 * Cleans up after a local cloud that did not stop cleanly (SIGKILL, a crash, a closed terminal):
 * its DynamoDB Local JVM, which runs in its own process group and so outlives it, and stale pid
 * files. Refuses, with what to do, when another local cloud still runs on this state folder.
 * Workflow executions it left running are resumed later, by the Step Functions service.
 */
export async function reclaimPreviousRun(options: {
  stateDir: string;
  dynamoDbDataDir: string;
  ports: number[];
  log: (line: string) => void;
}): Promise<void> {
  const { stateDir, dynamoDbDataDir, log } = options;
  const runFile = path.join(stateDir, RUN_FILE);
  const previous = readRunRecord(runFile);
  if (previous && previous.pid !== process.pid && isAlive(previous.pid) && commandLineOf(previous.pid) === previous.commandLine) {
    throw new LocalCloudError(
      `Another local cloud (pid ${previous.pid}, started ${previous.startedAt}) is running on ${stateDir}: stop it first (Ctrl-C in its terminal, or kill ${previous.pid}), then run npm start again.`,
    );
  }
  if (previous) log(`The previous local cloud (pid ${previous.pid}) did not shut down cleanly; reclaiming what it left.`);
  rmSync(runFile, { force: true });

  const pidFile = dynamoDbPidFile(dynamoDbDataDir);
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (isOurDynamoDbLocal(pid, dynamoDbDataDir)) {
      log(`Stopping DynamoDB Local (pid ${pid}), which the previous local cloud left running…`);
      await stopPid(pid);
    } else if (isAlive(pid)) {
      log(`${pidFile} names pid ${pid}, which is not this project's DynamoDB Local; leaving that process alone.`);
    }
    rmSync(pidFile, { force: true });
  }
  // The pid file can be gone while the JVM is not (deleted by hand, or a crash before it was written):
  // a DynamoDB Local serving this very data folder on one of our ports is ours all the same.
  for (const port of options.ports) {
    if (await isPortFree(port)) continue;
    const listener = listenerOf(port);
    if (listener && isOurDynamoDbLocal(listener.pid, dynamoDbDataDir)) {
      log(`Stopping DynamoDB Local (pid ${listener.pid}) left on port ${port} by a previous local cloud…`);
      await stopPid(listener.pid);
    }
  }
}
