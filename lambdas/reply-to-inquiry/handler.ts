import { renderInquiryReply } from '../adapters/email-templates.js';
import { toApiInquiry } from '../api/presenters.js';
import { routes } from '../api/routes.js';
import { type InquiryReply, replyToInquiry, type StoredInquiry } from '../domain/inquiries.js';
import { apiHandler } from '../shared/http.js';
import { inquiries } from '../shared/inquiries.js';
import { mailer } from '../shared/mailer.js';
import { metrics } from '../shared/observability.js';

const render = (inquiry: StoredInquiry, reply: InquiryReply) =>
  renderInquiryReply({
    orderId: inquiry.orderId,
    customerName: inquiry.customer.name,
    subject: inquiry.subject,
    question: inquiry.message,
    askedAt: inquiry.createdAt,
    reply: reply.message,
  });

export const handler = apiHandler(routes.replyToInquiry, async ({ params, body, principal }) => {
  const reply = { at: new Date().toISOString(), message: body.message, by: principal?.keyId ?? 'unknown' };
  const outcome = await replyToInquiry({ inquiries, mailer, render }, params.inquiryId, reply, body.close);
  if (outcome.firstResponseSeconds !== undefined) {
    metrics.addMetadata('inquiryId', params.inquiryId);
    metrics.addMetric('InquiryFirstResponseSeconds', 'Seconds', outcome.firstResponseSeconds);
  }
  return { status: 200, body: toApiInquiry(outcome.inquiry) };
});
