import { routes } from '../api/routes.js';
import { apiHandler } from '../shared/http.js';
import { orderWorkflow } from '../shared/order-workflow.js';

export const handler = apiHandler(routes.listExecutions, async ({ query }) => {
  return { status: 200, body: await orderWorkflow.listRuns({ status: query.status, limit: query.limit, cursor: query.cursor }) };
});
