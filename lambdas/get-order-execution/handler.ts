import { routes } from '../api/routes.js';
import { NotFound } from '../domain/errors.js';
import { apiHandler } from '../shared/http.js';
import { orderWorkflow } from '../shared/order-workflow.js';

export const handler = apiHandler(routes.getOrderExecution, async ({ params }) => {
  const run = await orderWorkflow.describe(params.orderId);
  if (!run) throw NotFound.of(`The workflow of order ${params.orderId}`);
  return { status: 200, body: { ...run, events: await orderWorkflow.history(params.orderId) } };
});
