import { toApiOrder } from '../api/presenters.js';
import { routes } from '../api/routes.js';
import { ValidationFailed } from '../domain/errors.js';
import { apiHandler } from '../shared/http.js';
import { orders } from '../shared/orders.js';

export const handler = apiHandler(routes.listOrders, async ({ query, principal }) => {
  // A storefront lists its own orders; ops name the storefront they look at.
  const storefrontId = principal?.scope === 'storefront' ? principal.storefrontId : query.storefrontId;
  if (!storefrontId)
    throw new ValidationFailed('Ops must say which storefront to list.', {
      details: [{ path: 'query.storefrontId', message: 'required for ops' }],
    });
  const page = await orders.list(storefrontId, {
    customerId: query.customerId,
    status: query.status,
    limit: query.limit,
    cursor: query.cursor,
  });
  return { status: 200, body: { items: page.items.map((order) => toApiOrder(order, principal)), nextCursor: page.nextCursor } };
});
