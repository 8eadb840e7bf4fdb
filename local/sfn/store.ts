import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ExecutionRecord, HistoryEvent } from './history.js';

export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
}

/** An execution's fields without its history: what a journal's `record` line carries. */
type ExecutionHeader = Omit<ExecutionRecord, 'events'>;

/** One line of an execution's journal: a history event, or its fields as they were after `events` events. */
type JournalLine = { event: HistoryEvent } | { record: ExecutionHeader; events: number };

/** What the journal of one execution already holds. */
interface Journaled {
  events: number;
  signature: string;
}

/** The fields that change while an execution runs; the rest (name, input, …) are written with them. */
const signatureOf = (execution: ExecutionRecord) =>
  `${execution.status}|${execution.redriveCount}|${execution.stopDate ?? ''}|${execution.redriveDate ?? ''}`;

const isMissingFolder = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Keeps state machines, executions and their histories on disk, so executions survive a restart
 * and ops can look at them. Every change to an execution is appended to its journal
 * (`executions/<name>.jsonl`) synchronously, before the service acts on it: a task's result is on
 * disk before the next state calls anything, so even a SIGKILL loses no step that had an effect
 * (only a call still in flight is in doubt; see local/sfn/resume.ts). Finished executions, and
 * every execution at shutdown, are compacted into one snapshot (`executions/<name>.json`).
 */
export class SfnStore {
  private readonly journaled = new Map<string, Journaled>();
  /** Executions with a journal not yet folded into their snapshot. */
  private readonly open = new Map<string, ExecutionRecord>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string | undefined,
    private readonly compactMs = 250,
  ) {
    if (dir) {
      mkdirSync(path.join(dir, 'machines'), { recursive: true });
      mkdirSync(path.join(dir, 'executions'), { recursive: true });
    }
  }

  private baseName(arn: string): string {
    return encodeURIComponent(arn.split(':').slice(-2).join(':'));
  }

  private executionFile(arn: string, extension: '.json' | '.jsonl'): string {
    return path.join(this.dir as string, 'executions', `${this.baseName(arn)}${extension}`);
  }

  loadMachines(): StateMachineRecord[] {
    if (!this.dir) return [];
    const folder = path.join(this.dir, 'machines');
    return readdirSync(folder).map((file) => JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as StateMachineRecord);
  }

  /** Every execution as its snapshot and journal left it; each is compacted again right away. */
  loadExecutions(): ExecutionRecord[] {
    if (!this.dir) return [];
    const folder = path.join(this.dir, 'executions');
    const names = new Set(
      readdirSync(folder)
        .filter((file) => /\.jsonl?$/.test(file))
        .map((file) => file.replace(/\.jsonl?$/, '')),
    );
    const executions: ExecutionRecord[] = [];
    for (const name of names) {
      const snapshotFile = path.join(folder, `${name}.json`);
      const journalFile = path.join(folder, `${name}.jsonl`);
      const snapshot = existsSync(snapshotFile) ? (JSON.parse(readFileSync(snapshotFile, 'utf8')) as ExecutionRecord) : undefined;
      const journal = existsSync(journalFile);
      const execution = journal ? replayJournal(journalFile, snapshot) : snapshot;
      if (!execution) continue;
      executions.push(execution);
      if (journal) this.compact(execution);
      else this.journaled.set(execution.executionArn, { events: execution.events.length, signature: signatureOf(execution) });
    }
    return executions;
  }

  saveMachine(machine: StateMachineRecord): void {
    if (!this.dir) return;
    writeFileSync(path.join(this.dir, 'machines', `${this.baseName(machine.stateMachineArn)}.json`), JSON.stringify(machine));
  }

  /** Appends what changed since the last call to the execution's journal, before the caller goes on. */
  executionChanged(execution: ExecutionRecord): void {
    if (!this.dir) return;
    const journaled = this.journaled.get(execution.executionArn) ?? { events: 0, signature: '' };
    const lines: JournalLine[] = execution.events.slice(journaled.events).map((event) => ({ event }));
    const signature = signatureOf(execution);
    if (signature !== journaled.signature) {
      const { events, ...record } = execution;
      lines.push({ record, events: events.length });
    }
    if (!lines.length) return;
    try {
      appendFileSync(this.executionFile(execution.executionArn, '.jsonl'), `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
    } catch (error) {
      // The state folder was removed under a running service (a test's temporary folder): nothing is left to keep.
      if (isMissingFolder(error)) return;
      throw error;
    }
    this.journaled.set(execution.executionArn, { events: execution.events.length, signature });
    this.open.set(execution.executionArn, execution);
    if (execution.status !== 'RUNNING') this.timer ??= setTimeout(() => this.compactFinished(), this.compactMs);
  }

  /** Folds the journal into a snapshot (written aside, then renamed: a crash leaves one or the other whole). */
  private compact(execution: ExecutionRecord): void {
    const snapshot = this.executionFile(execution.executionArn, '.json');
    try {
      writeFileSync(`${snapshot}.tmp`, JSON.stringify(execution));
      renameSync(`${snapshot}.tmp`, snapshot);
      rmSync(this.executionFile(execution.executionArn, '.jsonl'), { force: true });
    } catch (error) {
      if (isMissingFolder(error)) return;
      throw error;
    }
    this.journaled.set(execution.executionArn, { events: execution.events.length, signature: signatureOf(execution) });
    this.open.delete(execution.executionArn);
  }

  private compactFinished(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const execution of this.open.values()) if (execution.status !== 'RUNNING') this.compact(execution);
  }

  /** Compacts every journal, running executions' too (the service is stopping). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dir || !existsSync(this.dir)) return;
    for (const execution of [...this.open.values()]) this.compact(execution);
  }
}

/**
 * Applies a journal to the snapshot it continues (or to nothing, for an execution never compacted).
 * Events the snapshot already has are skipped, and so are field lines older than it: a crash
 * between writing a snapshot and removing its journal leaves both.
 */
function replayJournal(file: string, snapshot: ExecutionRecord | undefined): ExecutionRecord | undefined {
  let execution = snapshot ? { ...snapshot, events: [...snapshot.events] } : undefined;
  const pending: HistoryEvent[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [index, text] of lines.entries()) {
    if (!text) continue;
    let line: JournalLine;
    try {
      line = JSON.parse(text) as JournalLine;
    } catch (error) {
      // Only the last line can be torn, by a crash in the middle of an append; it is dropped.
      if (index >= lines.length - 2) break;
      throw new Error(
        `${file} line ${index + 1} is not valid JSON (${(error as Error).message}); move the file away to drop that execution's recent history, then start again.`,
      );
    }
    if ('event' in line) {
      const last = execution?.events.at(-1)?.id ?? pending.at(-1)?.id ?? 0;
      if (line.event.id <= last) continue;
      if (execution) execution.events.push(line.event);
      else pending.push(line.event);
      continue;
    }
    if (execution && line.events < execution.events.length) continue;
    execution = { ...line.record, events: execution?.events ?? pending };
  }
  return execution;
}
