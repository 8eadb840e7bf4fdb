import * as z from 'zod';
import { OrderNotFound } from '../domain/errors.js';
import { Money } from '../domain/money.js';
import { refuseIfCancelled } from '../domain/orders.js';
import { metrics } from '../shared/observability.js';
import { orders } from '../shared/orders.js';
import { paymentGateway } from '../shared/payments.js';
import { workflowHandler } from '../shared/workflow.js';

const gateway = paymentGateway();

export const handler = workflowHandler(z.object({ orderId: z.string(), authorizationId: z.string(), amount: Money }), async (input) => {
  // No capture for an order cancelled meanwhile: the workflow voids the authorization instead of refunding a charge.
  const order = await orders.get(input.orderId, true);
  if (!order) throw new OrderNotFound(input.orderId);
  refuseIfCancelled(order);
  const capture = await gateway.capture({ ...input, idempotencyKey: `${input.orderId}:capture` });
  const at = new Date().toISOString();
  // The order records its capture (once; a retry keeps the first): the finance ledger's sale starts here.
  await orders.recordCapture(input.orderId, { captureId: capture.captureId, amount: capture.amount, at });
  metrics.addMetric('OrdersConfirmed', 'Count', 1);
  return { ...capture, at };
});
