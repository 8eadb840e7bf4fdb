import { routes } from '../api/routes.js';
import { NotRedrivable } from '../domain/errors.js';
import { visibleOrder } from '../domain/orders.js';
import { apiHandler } from '../shared/http.js';
import { logger } from '../shared/observability.js';
import { orderWorkflow } from '../shared/order-workflow.js';
import { orders } from '../shared/orders.js';

/** Ops continue a failed order workflow from the state that failed (every step is safe to run again). */
export const handler = apiHandler(routes.redriveOrder, async ({ params, principal }) => {
  const order = await visibleOrder(orders, params.orderId, principal);
  if ((await orderWorkflow.redrive(order.orderId)) === 'not-redrivable') {
    const run = await orderWorkflow.describe(order.orderId);
    throw new NotRedrivable(
      run
        ? `The workflow of order ${order.orderId} is ${run.status}; only a FAILED, TIMED_OUT or ABORTED one can be redriven.`
        : `Order ${order.orderId} has no workflow to redrive.`,
    );
  }
  logger.info('Workflow redriven by ops', { orderId: order.orderId, by: principal?.keyId });
  return { status: 202, body: { orderId: order.orderId, redriven: true } };
});
