import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** Where one shard of a mapping stands: the last sequence number fully processed, and whether the shard is read to its end. */
export interface ShardCheckpoint {
  sequenceNumber?: string;
  /** A closed shard read to its end: its children may start, and it is never read again. */
  finished?: boolean;
  /** Started at LATEST (the mapping's starting position) and nothing processed yet. */
  latest?: boolean;
}

interface CheckpointFile {
  streamArn: string;
  shards: Record<string, ShardCheckpoint>;
}

/**
 * A mapping's checkpoints, one file per mapping (`<dir>/<mapping>.json`), rewritten atomically (a temporary
 * file renamed over it) after every batch's outcome. A start resumes each shard after its checkpoint; a crash
 * between an invocation and its checkpoint delivers that batch again, never skips it. Checkpoints of another
 * stream (the table was created anew, e.g. DynamoDB Local in memory) are dropped.
 */
export class StreamCheckpoints {
  private readonly file: string;
  private readonly state: CheckpointFile;
  private writing: Promise<void> = Promise.resolve();
  /** No checkpoints were kept for this stream: the mapping starts at its StartingPosition. */
  readonly fresh: boolean;

  constructor(dir: string, mappingId: string, streamArn: string) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${mappingId}.json`);
    const kept = readKept(this.file);
    this.fresh = kept?.streamArn !== streamArn;
    this.state = this.fresh ? { streamArn, shards: {} } : (kept as CheckpointFile);
  }

  of(shardId: string): ShardCheckpoint | undefined {
    return this.state.shards[shardId];
  }

  isFinished(shardId: string): boolean {
    return this.state.shards[shardId]?.finished === true;
  }

  /** Records where a shard stands and writes the file; resolves once it is on disk. Writes are serialized. */
  save(shardId: string, checkpoint: ShardCheckpoint): Promise<void> {
    this.state.shards[shardId] = checkpoint;
    const text = `${JSON.stringify(this.state, null, 2)}\n`;
    const temporary = `${this.file}.${process.pid}.tmp`;
    // A failed write fails its own save; the next save writes everything again.
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await writeFile(temporary, text);
        await rename(temporary, this.file);
      });
    return this.writing;
  }

  /** Resolves once every checkpoint saved so far is on disk. */
  flushed(): Promise<void> {
    return this.writing;
  }
}

function readKept(file: string): CheckpointFile | undefined {
  if (!existsSync(file)) return undefined;
  const kept = JSON.parse(readFileSync(file, 'utf8')) as CheckpointFile;
  if (typeof kept.streamArn !== 'string' || typeof kept.shards !== 'object') throw new Error(`${file} is not a stream checkpoint file`);
  return kept;
}
