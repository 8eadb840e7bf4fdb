import { routes } from '../api/routes.js';
import { apiHandler } from '../shared/http.js';
import { toApiOrder, visibleOrder } from '../shared/orders.js';

export const handler = apiHandler(routes.getOrder, async ({ params, principal }) => ({
  status: 200,
  body: toApiOrder(await visibleOrder(params.orderId, principal)),
}));
