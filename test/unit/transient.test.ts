import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { TransientFailure } from '../../lambdas/domain/errors.js';
import { isTransientAwsError } from '../../lambdas/shared/transient.js';
import { workflowHandler } from '../../lambdas/shared/workflow.js';

const $metadata = { httpStatusCode: 400 };

describe('transient AWS errors', () => {
  it('tells throttling and service faults from refusals a retry would repeat', () => {
    expect(isTransientAwsError(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata }))).toBe(true);
    expect(isTransientAwsError(Object.assign(new Error('boom'), { name: 'InternalServerError', $fault: 'server' }))).toBe(true);
    expect(isTransientAwsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientAwsError(new ConditionalCheckFailedException({ message: 'no', $metadata }))).toBe(false);
    expect(isTransientAwsError(new TransactionCanceledException({ message: 'no', $metadata }))).toBe(false);
    expect(isTransientAwsError(new Error('a bug'))).toBe(false);
  });

  it('reaches the workflow as TransientFailure, which its retriers list; other errors keep their names', async () => {
    const throttled = workflowHandler(z.object({ orderId: z.string() }), async () => {
      throw new ProvisionedThroughputExceededException({ message: 'slow down', $metadata });
    });
    const buggy = workflowHandler(z.object({ orderId: z.string() }), async () => {
      throw new RangeError('a bug');
    });
    const context = { functionName: 'test', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 1000 } as never;

    await expect(throttled({ orderId: 'ord_1' }, context)).rejects.toBeInstanceOf(TransientFailure);
    await expect(buggy({ orderId: 'ord_1' }, context)).rejects.toBeInstanceOf(RangeError);
  });
});
