import { toApiOrder } from '../api/presenters.js';
import { routes } from '../api/routes.js';
import { visibleOrder } from '../domain/orders.js';
import { apiHandler } from '../shared/http.js';
import { orders } from '../shared/orders.js';

export const handler = apiHandler(routes.getOrder, async ({ params, principal }) => ({
  status: 200,
  body: toApiOrder(await visibleOrder(orders, params.orderId, principal), principal),
}));
