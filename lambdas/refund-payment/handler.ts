import * as z from 'zod';
import { renderOrderCancelled } from '../adapters/email-templates.js';
import { OrderNotFound } from '../domain/errors.js';
import type { CancellationReason } from '../domain/orders.js';
import { settlePayment } from '../domain/refunds.js';
import { logger, metrics } from '../shared/observability.js';
import { orders } from '../shared/orders.js';
import { paymentGateway } from '../shared/payments.js';
import { workflowHandler } from '../shared/workflow.js';

const gateway = paymentGateway();

/**
 * The RefundPayment step of every cancellation — requested (POST /orders/{id}/cancel) or forced (a step after
 * the capture failed for good): voids what is only authorized, refunds what was captured (settlePayment: the
 * gateway's records decide, once per capture however often the step runs), copies the refunded total onto the
 * order, and tells the workflow why the order ends and what to email the customer.
 */
export const handler = workflowHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  const order = await orders.get(orderId, true);
  if (!order) throw new OrderNotFound(orderId);
  const { voided, refunds, all, refunded } = await settlePayment(gateway, orderId, 'cancelled');
  await orders.recordRefunds(orderId, all);
  const reason: CancellationReason = order.cancellation?.code ?? 'FULFILLMENT_FAILED';
  const requested = reason !== 'FULFILLMENT_FAILED';
  const money = refunded?.amount ? 'payment refunded' : 'payment voided';
  const note = requested
    ? `cancelled on request${order.cancellation?.reason ? ` (${order.cancellation.reason})` : ''}; stock released, ${money}`
    : `could not be fulfilled; stock released, ${money}`;
  const email = renderOrderCancelled({ ...order, customerName: order.customer.name }, { requested, refunded });
  logger.info('Cancelled order settled', { reason, voided, refunds: refunds.length, refunded });
  if (refunds.length) metrics.addMetric('PaymentsRefunded', 'Count', refunds.length);
  metrics.addDimension('Reason', reason);
  metrics.addMetric('OrdersCancelled', 'Count', 1);
  return { reason, note, email: { subject: email.subject, html: email.html, text: email.text }, at: new Date().toISOString() };
});
