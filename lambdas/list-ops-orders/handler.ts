import { toApiOrder } from '../api/presenters.js';
import { routes } from '../api/routes.js';
import { instantBound } from '../domain/orders.js';
import { apiHandler } from '../shared/http.js';
import { orderSearch } from '../shared/order-search.js';

export const handler = apiHandler(routes.listOpsOrders, async ({ query, principal }) => {
  const page = await orderSearch.search({
    status: query.status,
    storefrontId: query.storefrontId,
    customerId: query.customerId,
    from: query.from === undefined ? undefined : instantBound(query.from, 'from'),
    to: query.to === undefined ? undefined : instantBound(query.to, 'to'),
    limit: query.limit,
    cursor: query.cursor,
  });
  return { status: 200, body: { items: page.items.map((order) => toApiOrder(order, principal)), nextCursor: page.nextCursor } };
});
