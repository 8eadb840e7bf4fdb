import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ExecutionRecord } from './history.js';

export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
}

/**
 * Keeps state machines, executions and their histories on disk so ops can look at them after a
 * restart. Writes are batched: a changed execution is written at most every `flushMs`.
 */
export class SfnStore {
  private readonly dirty = new Set<ExecutionRecord>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string | undefined,
    private readonly flushMs = 250,
  ) {
    if (dir) {
      mkdirSync(path.join(dir, 'machines'), { recursive: true });
      mkdirSync(path.join(dir, 'executions'), { recursive: true });
    }
  }

  private fileName(arn: string): string {
    return `${encodeURIComponent(arn.split(':').slice(-2).join(':'))}.json`;
  }

  loadMachines(): StateMachineRecord[] {
    if (!this.dir) return [];
    const folder = path.join(this.dir, 'machines');
    return readdirSync(folder).map((file) => JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as StateMachineRecord);
  }

  loadExecutions(): ExecutionRecord[] {
    if (!this.dir) return [];
    const folder = path.join(this.dir, 'executions');
    return readdirSync(folder).map((file) => JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as ExecutionRecord);
  }

  saveMachine(machine: StateMachineRecord): void {
    if (!this.dir) return;
    writeFileSync(path.join(this.dir, 'machines', this.fileName(machine.stateMachineArn)), JSON.stringify(machine));
  }

  executionChanged(execution: ExecutionRecord): void {
    if (!this.dir) return;
    this.dirty.add(execution);
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dir || !existsSync(this.dir)) return;
    for (const execution of this.dirty) {
      writeFileSync(path.join(this.dir, 'executions', this.fileName(execution.executionArn)), JSON.stringify(execution));
    }
    this.dirty.clear();
  }
}
