import { toApiInquiry } from '../api/presenters.js';
import { routes } from '../api/routes.js';
import { apiHandler } from '../shared/http.js';
import { inquiries } from '../shared/inquiries.js';
import { orders } from '../shared/orders.js';

/** Inquiries by status (OPEN unless asked), oldest first; or one order's, whatever their status. */
export const handler = apiHandler(routes.listInquiries, async ({ query }) => {
  const page = query.orderId
    ? await inquiries.listOfOrder(query.orderId, query.limit, query.cursor)
    : await inquiries.list(query.status ?? 'OPEN', query.limit, query.cursor);
  const summaries = await orders.summaries(page.items.map((inquiry) => inquiry.orderId));
  return {
    status: 200,
    body: { items: page.items.map((inquiry) => toApiInquiry(inquiry, summaries.get(inquiry.orderId))), nextCursor: page.nextCursor },
  };
});
