import { randomBytes } from 'node:crypto';
import { routes } from '../api/routes.js';
import { visibleOrder } from '../domain/orders.js';
import { apiHandler } from '../shared/http.js';
import { inquiries } from '../shared/inquiries.js';
import { orders } from '../shared/orders.js';

/** Sortable and unique: `inq_` + time + randomness. */
const newInquiryId = () => `inq_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;

export const handler = apiHandler(routes.openInquiry, async ({ params, body, principal }) => {
  // Another storefront's order is not found, as for every order route.
  const order = await visibleOrder(orders, params.orderId, principal);
  const now = new Date().toISOString();
  const inquiryId = newInquiryId();
  await inquiries.open({
    inquiryId,
    orderId: order.orderId,
    storefrontId: order.storefrontId,
    // The reply goes to the customer the order was placed for.
    customer: { email: order.customer.email, name: order.customer.name },
    subject: body.subject,
    message: body.message,
    status: 'OPEN',
    replies: [],
    createdAt: now,
    updatedAt: now,
  });
  return { status: 201, body: { inquiryId, status: 'OPEN' }, headers: { location: `/ops/inquiries/${inquiryId}` } };
});
