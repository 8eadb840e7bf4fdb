import { routes } from '../api/routes.js';
import { NotCancellable } from '../domain/errors.js';
import { pickTaskIdFor } from '../domain/fulfillment.js';
import { visibleOrder } from '../domain/orders.js';
import { apiHandler } from '../shared/http.js';
import { logger, metrics } from '../shared/observability.js';
import { orderWorkflow } from '../shared/order-workflow.js';
import { orders } from '../shared/orders.js';
import { pickTasks } from '../shared/pick-tasks.js';

/**
 * Cancels an order that has not shipped. The request is written on the order first (conditional: it and
 * the shipment exclude each other), then the workflow is reached wherever it waits — the fraud review or the
 * pick task — by failing that wait with OrderCancelled; a workflow busy with a step meets the request at its
 * next step's condition. Either way it runs the compensations (release, void or refund, email) and ends the
 * order CANCELLED. A repeat of a cancel in progress reaches the waits again, which is harmless, and changes
 * nothing else.
 */
export const handler = apiHandler(routes.cancelOrder, async ({ params, body, principal }) => {
  const order = await visibleOrder(orders, params.orderId, principal);
  const result = await orders.requestCancellation(order, {
    code: principal?.scope === 'ops' ? 'OPS_REQUESTED' : 'CUSTOMER_REQUESTED',
    reason: body.reason,
    requestedAt: new Date().toISOString(),
    by: principal?.keyId,
  });
  const current = result.order;
  if (result.outcome === 'not-cancellable') {
    throw new NotCancellable(
      current.stockShipped || current.status === 'SHIPPED' || current.status === 'DELIVERED'
        ? `Order ${current.orderId} has shipped; it can no longer be cancelled. Request a return once it is delivered.`
        : `Order ${current.orderId} is ${current.status}; it has ended and cannot be cancelled.`,
    );
  }
  // The warehouse stops first: a cancelled task leaves the OPEN list and refuses scans and completion.
  if (current.pickTaskToken)
    await pickTasks.cancel(pickTaskIdFor(current.orderId), current.cancellation?.requestedAt ?? new Date().toISOString());
  for (const token of [current.reviewToken, current.pickTaskToken]) {
    // 'gone': the wait was answered a moment ago; the workflow meets the request at its next step instead.
    if (token) await orderWorkflow.failWait(token, 'OrderCancelled', `cancelled: ${current.cancellation?.code}`);
  }
  if (result.outcome === 'requested') {
    logger.info('Cancellation requested', { orderId: current.orderId, status: current.status, by: principal?.keyId });
    metrics.addMetric('CancellationsRequested', 'Count', 1);
  }
  return {
    status: 202,
    body: {
      orderId: current.orderId,
      status: current.status,
      cancellationRequestedAt: current.cancellation?.requestedAt,
      links: { self: `/orders/${current.orderId}` },
    },
  };
});
