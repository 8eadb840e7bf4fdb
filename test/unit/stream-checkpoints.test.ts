import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamCheckpoints } from '../../local/stream-checkpoints.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const folder = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-checkpoints-'));
  dirs.push(dir);
  return dir;
};

describe('StreamCheckpoints', () => {
  it('keeps where each shard stands across instances, in one file per mapping with no temporary file left', async () => {
    // Arrange
    const dir = folder();
    const first = new StreamCheckpoints(dir, 'LedgerMapping', 'arn:stream/1');

    // Act
    await Promise.all([first.save('shard-a', { sequenceNumber: '300' }), first.save('shard-b', { finished: true, sequenceNumber: '90' })]);
    await first.save('shard-a', { sequenceNumber: '400' });
    const again = new StreamCheckpoints(dir, 'LedgerMapping', 'arn:stream/1');

    // Assert
    expect(first.fresh).toBe(true);
    expect(again.fresh).toBe(false);
    expect(again.of('shard-a')).toEqual({ sequenceNumber: '400' });
    expect(again.isFinished('shard-b')).toBe(true);
    expect(again.of('shard-c')).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['LedgerMapping.json']);
    expect(JSON.parse(readFileSync(path.join(dir, 'LedgerMapping.json'), 'utf8'))).toMatchObject({ streamArn: 'arn:stream/1' });
  });

  it("drops another stream's checkpoints (the table was created anew)", async () => {
    const dir = folder();
    await new StreamCheckpoints(dir, 'LedgerMapping', 'arn:stream/1').save('shard-a', { sequenceNumber: '300' });

    const other = new StreamCheckpoints(dir, 'LedgerMapping', 'arn:stream/2');

    expect(other.fresh).toBe(true);
    expect(other.of('shard-a')).toBeUndefined();
  });
});
