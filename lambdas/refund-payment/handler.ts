import * as z from 'zod';
import { Money } from '../domain/money.js';
import { logger, metrics } from '../shared/observability.js';
import { paymentGateway } from '../shared/payments.js';
import { workflowHandler } from '../shared/workflow.js';

const gateway = paymentGateway();

/**
 * Refunds a capture (all of it, or a part), once per reason: the gateway's idempotency key is the
 * order, the capture and the reason, so a retried or redriven step never refunds twice.
 */
export const handler = workflowHandler(
  z.object({ orderId: z.string(), captureId: z.string(), amount: Money, reason: z.string().min(1) }),
  async ({ orderId, captureId, amount, reason }) => {
    const refund = await gateway.refund({ orderId, captureId, amount, idempotencyKey: `${orderId}:refund:${captureId}:${reason}` });
    logger.info('Payment refunded', { refundId: refund.refundId, amount: refund.amount, reason });
    metrics.addMetric('PaymentsRefunded', 'Count', 1);
    return { ...refund, at: new Date().toISOString() };
  },
);
