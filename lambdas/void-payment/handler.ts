import * as z from 'zod';
import { logger, metrics } from '../shared/observability.js';
import { paymentGateway } from '../shared/payments.js';
import { workflowHandler } from '../shared/workflow.js';

const gateway = paymentGateway();

/**
 * Compensation for a rejected order: voids every open authorization and refunds every capture with
 * money outstanding. The workflow cannot know all of them — a timed-out authorization, or a capture
 * whose answer was lost (the gateway captured, the caller never heard), leaves no id in its state — so
 * the gateway's records decide. Keys per authorization and capture make a retried run void and refund once.
 */
export const handler = workflowHandler(z.object({ orderId: z.string(), reason: z.string() }), async ({ orderId, reason }) => {
  const [open, captured] = await Promise.all([gateway.openAuthorizations(orderId), gateway.outstandingCaptures(orderId)]);
  for (const authorizationId of open)
    await gateway.void({ orderId, authorizationId, idempotencyKey: `${orderId}:void:${authorizationId}` });
  for (const capture of captured)
    await gateway.refund({ orderId, ...capture, idempotencyKey: `${orderId}:refund:${capture.captureId}:rejected` });
  logger.info('Order rejected; open authorizations voided, outstanding captures refunded', {
    reason,
    voided: open.length,
    refunded: captured.length,
  });
  metrics.addDimension('Reason', reason);
  metrics.addMetric('OrdersRejected', 'Count', 1);
  if (captured.length) metrics.addMetric('PaymentsRefunded', 'Count', captured.length);
  return { voided: open.length, refunded: captured.length, reason, at: new Date().toISOString() };
});
