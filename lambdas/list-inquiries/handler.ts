import { toApiInquiry } from '../api/presenters.js';
import { routes } from '../api/routes.js';
import { apiHandler } from '../shared/http.js';
import { inquiries } from '../shared/inquiries.js';
import { orders } from '../shared/orders.js';

export const handler = apiHandler(routes.listInquiries, async ({ query }) => {
  const page = await inquiries.list(query.status, query.limit, query.cursor);
  const summaries = await orders.summaries(page.items.map((inquiry) => inquiry.orderId));
  return {
    status: 200,
    body: { items: page.items.map((inquiry) => toApiInquiry(inquiry, summaries.get(inquiry.orderId))), nextCursor: page.nextCursor },
  };
});
