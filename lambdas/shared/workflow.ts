import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type * as z from 'zod';
import { TransientFailure } from '../domain/errors.js';
import { logger, metrics } from './observability.js';
import { isTransientAwsError } from './transient.js';

/**
 * A function called by the order workflow: validates its input, logs with the order id as the
 * correlation id, and lets named errors (domain/errors.ts) through to Step Functions, whose Retry and
 * Catch match their names. An AWS call that is throttled or failing even after the SDK's retries
 * becomes TransientFailure, one name the workflow retries, instead of an SDK class name no retrier
 * lists (which would fail the run and leave it to the reconciler).
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
    } catch (error) {
      if (!isTransientAwsError(error)) throw error;
      logger.warn('An AWS call failed transiently; the workflow retries the step', { error });
      throw new TransientFailure(`${(error as Error).name}: ${(error as Error).message}`, { cause: error });
    }
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
