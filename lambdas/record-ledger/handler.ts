import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { orderChange } from '../adapters/stream-images.js';
import { LedgerOrderImage, ledgerMovements } from '../domain/ledger.js';
import { ledger } from '../shared/ledger.js';
import { logger, metrics } from '../shared/observability.js';

const processor = new BatchProcessor(EventType.DynamoDBStreams);

/**
 * Turns an order's change into ledger lines and writes them to S3, one object per movement. Every step is
 * deterministic (the movement's name and its lines come from the order), so a redelivered or replayed record
 * writes the same objects again. A record that throws is reported as this batch's failure from that record on
 * (ReportBatchItemFailures); after its retries the mapping sends it to the failure destination.
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

async function recordLogged(record: DynamoDBRecord): Promise<void> {
  try {
    await recordMovements(record);
  } catch (error) {
    logger.error('Stream record failed; it is retried, then sent to the failure destination', {
      sequenceNumber: record.dynamodb?.SequenceNumber,
      error: error as Error,
    });
    throw error;
  }
}

export const handler = middy((event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, recordLogged, processor, { context }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
