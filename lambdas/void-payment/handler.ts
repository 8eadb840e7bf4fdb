import * as z from 'zod';
import { settlePayment } from '../domain/refunds.js';
import { logger, metrics } from '../shared/observability.js';
import { paymentGateway } from '../shared/payments.js';
import { workflowHandler } from '../shared/workflow.js';

const gateway = paymentGateway();

/**
 * Compensation for a rejected order: voids every open authorization and refunds every capture with
 * money outstanding (settlePayment: the gateway's records decide, keys make a retried run act once).
 */
export const handler = workflowHandler(z.object({ orderId: z.string(), reason: z.string() }), async ({ orderId, reason }) => {
  const { voided, refunds } = await settlePayment(gateway, orderId, 'rejected');
  logger.info('Order rejected; open authorizations voided, outstanding captures refunded', {
    reason,
    voided,
    refunded: refunds.length,
  });
  metrics.addDimension('Reason', reason);
  metrics.addMetric('OrdersRejected', 'Count', 1);
  if (refunds.length) metrics.addMetric('PaymentsRefunded', 'Count', refunds.length);
  return { voided, refunded: refunds.length, reason, at: new Date().toISOString() };
});
