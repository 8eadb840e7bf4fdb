import * as z from 'zod';
import { OrderNotFound, PaymentDeclined } from '../domain/errors.js';
import { refuseIfCancelled } from '../domain/orders.js';
import { metrics } from '../shared/observability.js';
import { orders } from '../shared/orders.js';
import { paymentGateway } from '../shared/payments.js';
import { workflowHandler } from '../shared/workflow.js';

const gateway = paymentGateway();

export const handler = workflowHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  const order = await orders.get(orderId, true);
  if (!order) throw new OrderNotFound(orderId);
  refuseIfCancelled(order);
  try {
    const authorization = await gateway.authorize({
      orderId,
      amount: order.total,
      token: order.paymentToken,
      idempotencyKey: `${orderId}:authorize`,
    });
    return { ...authorization, at: new Date().toISOString() };
  } catch (error) {
    if (error instanceof PaymentDeclined) metrics.addMetric('PaymentDeclined', 'Count', 1);
    throw error;
  }
});
