import * as z from 'zod';
import { OrderNotFound, PaymentDeclined } from '../domain/errors.js';
import { refuseIfCancelled } from '../domain/orders.js';
import { metrics } from '../shared/observability.js';
import { orders } from '../shared/orders.js';
import { paymentGateway } from '../shared/payments.js';
import { workflowHandler } from '../shared/workflow.js';

const gateway = paymentGateway();

/**
 * Authorizes the order's payment, then keeps the authorization and forgets the card token in one write. A retry
 * (same idempotency key) either still finds the token, and the gateway answers its first result again, or finds
 * the recorded authorization and returns it without asking: a token no longer kept cannot be sent twice, and Stripe
 * refuses an idempotency key replayed with other parameters.
 */
export const handler = workflowHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  const order = await orders.get(orderId, true);
  if (!order) throw new OrderNotFound(orderId);
  refuseIfCancelled(order);
  if (order.authorization) return order.authorization;
  if (order.paymentToken === undefined) throw new PaymentDeclined('missing_token');
  try {
    const authorization = await gateway.authorize({
      orderId,
      amount: order.total,
      token: order.paymentToken,
      idempotencyKey: `${orderId}:authorize`,
    });
    return await orders.recordAuthorization(orderId, { ...authorization, at: new Date().toISOString() });
  } catch (error) {
    if (error instanceof PaymentDeclined) metrics.addMetric('PaymentDeclined', 'Count', 1);
    throw error;
  }
});
