import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { orderChange } from '../adapters/stream-images.js';
import { orderContribution, ProfileOrderImage } from '../domain/customers.js';
import { MalformedStreamRecord } from '../domain/errors.js';
import { customers } from '../shared/customers.js';
import { logger, metrics } from '../shared/observability.js';

const processor = new BatchProcessor(EventType.DynamoDBStreams);

/**
 * Keeps the order's contribution to its customer's profile current. The write is conditional on the contribution's
 * version (the order's progress, then the record's sequence number), so a redelivered, replayed or late record
 * changes nothing. A record that throws is reported as this batch's failure from that record on
 * (ReportBatchItemFailures); after its retries the mapping sends it to the failure destination.
 */
async function projectOrder(record: DynamoDBRecord): Promise<void> {
  const change = orderChange(record);
  if (!change) return;
  if (!change.sequenceNumber) throw new MalformedStreamRecord('A stream record without a sequence number cannot be ordered.');
  const image = ProfileOrderImage.safeParse(change.after);
  if (!image.success)
    throw new MalformedStreamRecord(`An order image the profile cannot read: ${image.error.message}`, { cause: image.error });
  const contribution = orderContribution(image.data, change.sequenceNumber);
  const written = await customers.contribute(contribution);
  logger.info(written ? 'Customer profile updated' : 'Customer profile already newer; record changed nothing', {
    orderId: contribution.orderId,
    version: contribution.version,
  });
  metrics.addMetric(written ? 'ProfileContributions' : 'ProfileContributionsSkipped', 'Count', 1);
}

async function projectLogged(record: DynamoDBRecord): Promise<void> {
  try {
    await projectOrder(record);
  } catch (error) {
    logger.error('Stream record failed; it is retried, then sent to the failure destination', {
      sequenceNumber: record.dynamodb?.SequenceNumber,
      error: error as Error,
    });
    throw error;
  }
}

export const handler = middy((event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, projectLogged, processor, { context }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
