import * as z from 'zod';
import { OrderNotFound } from '../domain/errors.js';
import { assessFraud, velocityWindows } from '../domain/fraud.js';
import { logger, metrics } from '../shared/observability.js';
import { orders } from '../shared/orders.js';
import { workflowHandler } from '../shared/workflow.js';

export const handler = workflowHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  const order = await orders.get(orderId, true);
  if (!order) throw new OrderNotFound(orderId);
  const windows = velocityWindows(order);
  const [history, [customer = 0, email = 0, card = 0]] = await Promise.all([
    orders.customerHistory(order.storefrontId, order.customer.id, orderId),
    orders.velocity([windows.customer, windows.email, ...(windows.card ? [windows.card] : [])]),
  ]);
  const assessment = assessFraud({
    total: order.total,
    email: order.customer.email,
    // Screening comes before the authorization, which is what removes the token.
    paymentToken: order.paymentToken ?? '',
    shippingCountry: order.shippingAddress.country,
    billingCountry: order.billingAddress?.country,
    previousOrders: history.count,
    averageOrderAmount: history.averageAmount,
    lastHour: { customer, email, card },
  });
  logger.info('Fraud screening', { ...assessment });
  if (assessment.decision !== 'accept')
    metrics.addMetric(assessment.decision === 'review' ? 'FraudReviews' : 'FraudRejections', 'Count', 1);
  return { ...assessment, at: new Date().toISOString() };
});
