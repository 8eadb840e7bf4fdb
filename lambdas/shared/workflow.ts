import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type * as z from 'zod';
import { logger, metrics } from './observability.js';

/**
 * A function called by the order workflow: validates its input, logs with the order id as the
 * correlation id, and lets named errors (domain/errors.ts) through to Step Functions, whose Retry and
 * Catch match their names.
 */
export function workflowHandler<Input extends { orderId: string }, Output>(
  schema: z.ZodType<Input>,
  logic: (input: Input) => Promise<Output>,
) {
  return middy(async (event: unknown) => {
    const input = schema.parse(event);
    logger.appendKeys({ orderId: input.orderId });
    logger.setCorrelationId(input.orderId);
    return logic(input);
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
