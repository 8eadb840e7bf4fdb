import * as z from 'zod';
import { logger, metrics } from '../shared/observability.js';
import { paymentGateway } from '../shared/payments.js';
import { workflowHandler } from '../shared/workflow.js';

const gateway = paymentGateway();

/**
 * Compensation: voids every open authorization of the order. The workflow may not know the
 * authorization id (a gateway timeout leaves the outcome unknown), so the gateway's records decide.
 */
export const handler = workflowHandler(z.object({ orderId: z.string(), reason: z.string() }), async ({ orderId, reason }) => {
  const open = await gateway.openAuthorizations(orderId);
  for (const authorizationId of open)
    await gateway.void({ orderId, authorizationId, idempotencyKey: `${orderId}:void:${authorizationId}` });
  logger.info('Order rejected; open authorizations voided', { reason, voided: open.length });
  metrics.addDimension('Reason', reason);
  metrics.addMetric('OrdersRejected', 'Count', 1);
  return { voided: open.length, reason, at: new Date().toISOString() };
});
