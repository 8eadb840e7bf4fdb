import { routes } from '../api/routes.js';
import { NotOnHold } from '../domain/errors.js';
import { visibleOrder } from '../domain/orders.js';
import { apiHandler } from '../shared/http.js';
import { logger } from '../shared/observability.js';
import { orderWorkflow } from '../shared/order-workflow.js';
import { orders } from '../shared/orders.js';

/** Ops decide on an order held for fraud review: the decision answers the workflow's review wait. */
export const handler = apiHandler(routes.reviewOrder, async ({ params, body, principal }) => {
  const order = await visibleOrder(orders, params.orderId, principal);
  if (order.status !== 'ON_HOLD' || !order.reviewToken) {
    throw new NotOnHold(`Order ${order.orderId} is ${order.status}, not ON_HOLD; only held orders can be reviewed.`);
  }
  const at = new Date().toISOString();
  const answer =
    body.decision === 'approve'
      ? await orderWorkflow.completeWait(order.reviewToken, { decision: 'approve', at, note: body.note })
      : await orderWorkflow.failWait(order.reviewToken, 'ReviewRejected', body.note ?? 'rejected by ops');
  // Another decision (or the review's timeout) answered the wait first: this one changed nothing.
  if (answer === 'gone') throw new NotOnHold(`Order ${order.orderId} was decided a moment ago; this decision changed nothing.`);
  logger.info('Fraud review decided', { orderId: order.orderId, decision: body.decision, by: principal?.keyId });
  return { status: 202, body: { orderId: order.orderId, decision: body.decision } };
});
