import * as z from 'zod';
import { Money } from '../domain/money.js';
import { metrics } from '../shared/observability.js';
import { paymentGateway } from '../shared/payments.js';
import { workflowHandler } from '../shared/workflow.js';

const gateway = paymentGateway();

export const handler = workflowHandler(z.object({ orderId: z.string(), authorizationId: z.string(), amount: Money }), async (input) => {
  const capture = await gateway.capture({ ...input, idempotencyKey: `${input.orderId}:capture` });
  metrics.addMetric('OrdersConfirmed', 'Count', 1);
  return { ...capture, at: new Date().toISOString() };
});
