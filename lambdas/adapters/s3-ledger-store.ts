import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type LedgerLine,
  LedgerLine as LedgerLineSchema,
  type LedgerMovement,
  type LedgerStore,
  type MovementFilter,
  movementPrefix,
} from '../domain/ledger.js';

/** The partition prefix of a day, as the Glue table's partition projection names it. */
export const ledgerPrefix = (day: string) => `ledger/dt=${day}/`;

/** How many objects a reader fetches ahead of the one it yields (memory holds a few movements, whatever the range). */
const READ_AHEAD = 16;

/**
 * The ledger in S3: JSON lines, one object per movement at `ledger/dt=YYYY-MM-DD/<movement>.jsonl`. A movement's
 * name is derived from the movement, so writing it again (a redelivered or replayed stream record) overwrites
 * the same object with the same lines: the ledger never holds a line twice.
 */
export class S3LedgerStore implements LedgerStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(movement: LedgerMovement): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `${ledgerPrefix(movement.day)}${movement.name}.jsonl`,
        Body: movement.lines.map((line) => `${JSON.stringify(line)}\n`).join(''),
        ContentType: 'application/x-ndjson',
      }),
    );
  }

  async *movements(day: string, { after, orderId }: MovementFilter = {}): AsyncIterable<{ name: string; lines: LedgerLine[] }> {
    const prefix = ledgerPrefix(day) + (orderId === undefined ? '' : movementPrefix(orderId));
    const keys = this.keys(prefix, after === undefined ? undefined : `${ledgerPrefix(day)}${after}.jsonl`);
    const pending: Promise<{ name: string; lines: LedgerLine[] }>[] = [];
    const next = async () => {
      const { value, done } = await keys.next();
      if (!done) pending.push(this.read(value));
      return !done;
    };
    for (let i = 0; i < READ_AHEAD && (await next()); i++);
    while (pending.length) {
      const movement = await (pending.shift() as Promise<{ name: string; lines: LedgerLine[] }>);
      await next();
      yield movement;
    }
  }

  private async *keys(prefix: string, startAfter?: string): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ContinuationToken: token,
          ...(token ? {} : startAfter ? { StartAfter: startAfter } : {}),
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async read(key: string): Promise<{ name: string; lines: LedgerLine[] }> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = (await object.Body?.transformToString('utf8')) ?? '';
    return {
      name: key.slice(key.lastIndexOf('/') + 1).replace(/\.jsonl$/, ''),
      lines: body
        .split('\n')
        .filter((text) => text.trim())
        .map((text) => LedgerLineSchema.parse(JSON.parse(text))),
    };
  }
}
