import * as z from 'zod';
import { NotFound, NotRedrivable } from './errors.js';

/** The queues ops watch: the two event buffers (with their DLQs) and the streams' failure destination. */
export const QUEUE_NAMES = ['carrier-events', 'return-events', 'stream-failures'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** The most messages one redrive moves; call again for the rest. */
export const REDRIVE_BATCH_LIMIT = 100;

export const QueueDepth = z
  .object({
    name: z.enum(QUEUE_NAMES),
    messages: z.number().int().min(0).meta({ description: 'Messages waiting in the queue (approximate, as SQS counts them).' }),
    inFlight: z.number().int().min(0).meta({ description: 'Messages a consumer has received and not yet deleted.' }),
    deadLetters: z
      .number()
      .int()
      .min(0)
      .meta({ description: "Messages in the queue's dead-letter queue (for stream-failures: in itself)." }),
    redrivable: z.boolean(),
  })
  .meta({ id: 'QueueDepth' });
export type QueueDepth = z.infer<typeof QueueDepth>;

export const QueueList = z.object({ items: z.array(QueueDepth) }).meta({ id: 'QueueList' });

export const QueueRedriven = z
  .object({ name: z.enum(QUEUE_NAMES), moved: z.number().int().min(0) })
  .meta({ id: 'QueueRedriven', description: 'How many dead letters went back to their queue in this call.' });

export const QueueParams = z.strictObject({ name: z.string().min(1).max(80) });

/** The queues port: their depths, and moving dead letters back to where they failed. */
export interface QueueAdmin {
  /** Every queue's depth, in QUEUE_NAMES order. */
  depths(): Promise<QueueDepth[]>;
  /**
   * Moves up to `max` messages of a queue's DLQ back to the queue, bodies and attributes as they were; returns how
   * many. At least once: a message sent back but not yet deleted from the DLQ may be sent again by a later redrive.
   */
  redrive(name: Exclude<QueueName, 'stream-failures'>, max: number): Promise<number>;
}

/**
 * Which queue a redrive names: unknown names are 404; stream-failures holds descriptions of stream records, not
 * messages any queue consumes, so it cannot be redriven (409, with where to read what to do instead).
 */
export function redrivableQueue(name: string): Exclude<QueueName, 'stream-failures'> {
  if (name === 'stream-failures') {
    throw new NotRedrivable(
      'stream-failures holds where stream records failed (shard and sequence numbers), not messages to resend: replay the range as docs/runbook.md ("StreamFailures") says, then delete the message.',
    );
  }
  const queue = QUEUE_NAMES.find((known) => known === name);
  if (!queue) throw NotFound.of(`Queue ${name}`);
  return queue as Exclude<QueueName, 'stream-failures'>;
}
