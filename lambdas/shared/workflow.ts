import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import { logger, metrics } from './observability.js';

/**
 * A function called by the order workflow: validates its input, logs with the order id as the
 * correlation id, and lets named errors through to Step Functions (their name is what Retry/Catch match).
 */
export function workflowHandler<Input extends { orderId: string }, Output>(
  schema: z.ZodType<Input>,
  logic: (input: Input) => Promise<Output>,
) {
  return middy(async (event: unknown) => {
    const input = schema.parse(event);
    logger.appendKeys({ orderId: input.orderId });
    logger.setCorrelationId(input.orderId);
    try {
      return await logic(input);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}
