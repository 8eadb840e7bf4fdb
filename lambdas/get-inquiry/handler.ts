import { toApiInquiry } from '../api/presenters.js';
import { routes } from '../api/routes.js';
import { NotFound } from '../domain/errors.js';
import { apiHandler } from '../shared/http.js';
import { inquiries } from '../shared/inquiries.js';
import { orders } from '../shared/orders.js';

export const handler = apiHandler(routes.getInquiry, async ({ params }) => {
  const inquiry = await inquiries.get(params.inquiryId);
  if (!inquiry) throw NotFound.of(`Inquiry ${params.inquiryId}`);
  const summaries = await orders.summaries([inquiry.orderId]);
  return { status: 200, body: toApiInquiry(inquiry, summaries.get(inquiry.orderId)) };
});
