import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger, metrics } from './observability.js';

/**
 * A consumer of the table's stream: `apply` runs for each record, and a record that throws is logged and reported
 * as the batch's failure from that record on (ReportBatchItemFailures); after its retries the mapping sends it to
 * the failure destination.
 */
export function streamConsumer(apply: (record: DynamoDBRecord) => Promise<void>) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const applyLogged = async (record: DynamoDBRecord): Promise<void> => {
    try {
      await apply(record);
    } catch (error) {
      logger.error('Stream record failed; it is retried, then sent to the failure destination', {
        sequenceNumber: record.dynamodb?.SequenceNumber,
        error: error as Error,
      });
      throw error;
    }
  };
  return middy((event: DynamoDBStreamEvent, context: Context) => processPartialResponse(event, applyLogged, processor, { context }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
