import type { DynamoDBRecord } from 'aws-lambda';
import { orderChange } from '../adapters/stream-images.js';
import { LedgerOrderImage, ledgerMovements } from '../domain/ledger.js';
import { ledger } from '../shared/ledger.js';
import { logger, metrics } from '../shared/observability.js';
import { streamConsumer } from '../shared/stream-consumer.js';

/**
 * Turns an order's change into ledger lines and writes them to S3, one object per movement. Every step is
 * deterministic (the movement's name and its lines come from the order), so a redelivered or replayed record
 * writes the same objects again.
 */
async function recordMovements(record: DynamoDBRecord): Promise<void> {
  const change = orderChange(record);
  if (!change) return;
  const after = LedgerOrderImage.parse(change.after);
  const before = change.before ? LedgerOrderImage.parse(change.before) : undefined;
  for (const movement of ledgerMovements(before, after)) {
    await ledger.put(movement);
    logger.info('Ledger movement recorded', { orderId: after.orderId, movement: movement.name, lines: movement.lines.length });
    metrics.addMetric('LedgerLines', 'Count', movement.lines.length);
  }
}

export const handler = streamConsumer(recordMovements);
