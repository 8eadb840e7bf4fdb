import * as z from 'zod';
import { InquiryClosed, NotFound } from './errors.js';
import type { Mailer, MailMessage } from './mail.js';
import { OrderSummary } from './orders.js';

/** What OpenInquiry issues: `inq_` + time and randomness in lower-case base 36 and hex. */
export const InquiryId = z.string().regex(/^inq_[a-z0-9]{8,40}$/, 'is not an inquiry id');
export const InquiryStatus = z.enum(['OPEN', 'CLOSED']).meta({ id: 'InquiryStatus' });
export type InquiryStatus = z.infer<typeof InquiryStatus>;

// A subject becomes an email header: one line, no control characters.
const Subject = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]*$/u, 'must be one line without control characters');
const Message = z.string().trim().min(1).max(5000);

export const OpenInquiryBody = z.strictObject({ subject: Subject, message: Message }).meta({ id: 'OpenInquiryBody' });
export type OpenInquiryBody = z.infer<typeof OpenInquiryBody>;

export const InquiryReplyBody = z
  .strictObject({ message: Message, close: z.boolean().default(true) })
  .meta({ id: 'InquiryReplyBody', description: '`close` (default true) closes the inquiry with this reply; false keeps it open.' });

export const InquiryReply = z.object({ at: z.iso.datetime(), message: z.string(), by: z.string() }).meta({ id: 'InquiryReply' });
export type InquiryReply = z.infer<typeof InquiryReply>;

export const Inquiry = z
  .object({
    inquiryId: z.string(),
    orderId: z.string(),
    storefrontId: z.string(),
    /** Copied from the order: replies are emailed there. */
    customer: z.object({ email: z.string(), name: z.string() }),
    subject: z.string(),
    message: z.string(),
    status: InquiryStatus,
    replies: z.array(InquiryReply),
    /** The order as it is now; in the ops list and GET /ops/inquiries/{inquiryId}. */
    order: OrderSummary.optional(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    closedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Inquiry' });
export type Inquiry = z.infer<typeof Inquiry>;

export const InquiryOpened = z.object({ inquiryId: z.string(), status: z.literal('OPEN') }).meta({ id: 'InquiryOpened' });
export const InquiryList = z.object({ items: z.array(Inquiry), nextCursor: z.string().nullable() }).meta({ id: 'InquiryList' });
export const InquiryParams = z.strictObject({ inquiryId: InquiryId });

/** An inquiry as stored: the API's Inquiry without the order's summary, which is read from the order itself. */
export type StoredInquiry = Omit<Inquiry, 'order'>;

export interface InquiryPage {
  items: StoredInquiry[];
  nextCursor: string | null;
}

/** The inquiries port. */
export interface InquiryRepository {
  /** Writes a new inquiry; it is listed under its status (OPEN), oldest first. */
  open(inquiry: StoredInquiry): Promise<void>;
  get(inquiryId: string): Promise<StoredInquiry | undefined>;
  list(status: InquiryStatus, limit: number, cursor?: string): Promise<InquiryPage>;
  /** One order's inquiries, open and closed, oldest first. */
  listOfOrder(orderId: string, limit: number, cursor?: string): Promise<InquiryPage>;
  /**
   * Appends a reply to an OPEN inquiry and, when `close`, closes it (it moves to the CLOSED list), in one
   * conditional write. Undefined when the inquiry is not open (then nothing changed).
   */
  addReply(inquiryId: string, reply: InquiryReply, close: boolean): Promise<StoredInquiry | undefined>;
  /** Appends a reply whatever the inquiry's status: one that was emailed while a concurrent reply closed it. */
  recordLateReply(inquiryId: string, reply: InquiryReply): Promise<StoredInquiry>;
}

export interface ReplyOutcome {
  inquiry: StoredInquiry;
  /** Set when this was the inquiry's first reply: seconds from the question to it. */
  firstResponseSeconds?: number;
}

export interface ReplyDependencies {
  inquiries: Pick<InquiryRepository, 'get' | 'addReply' | 'recordLateReply'>;
  mailer: Mailer;
  render: (inquiry: StoredInquiry, reply: InquiryReply) => Omit<MailMessage, 'to'>;
}

/**
 * Answers an inquiry: refuses a closed one (no email), emails the customer, then records the reply with a
 * write conditioned on the inquiry still being OPEN. The email goes first so that a failed send changes
 * nothing (EmailFailed, ops retry). A concurrent reply that closed the inquiry between our read and our
 * write cannot take our email back, so ours is recorded all the same, without touching the status.
 */
export async function replyToInquiry(
  { inquiries, mailer, render }: ReplyDependencies,
  inquiryId: string,
  reply: InquiryReply,
  close: boolean,
): Promise<ReplyOutcome> {
  const inquiry = await inquiries.get(inquiryId);
  if (!inquiry) throw NotFound.of(`Inquiry ${inquiryId}`);
  if (inquiry.status !== 'OPEN') throw new InquiryClosed(`Inquiry ${inquiryId} is closed; nothing was sent.`);
  await mailer.send({ to: inquiry.customer.email, ...render(inquiry, reply) });
  const updated = (await inquiries.addReply(inquiryId, reply, close)) ?? (await inquiries.recordLateReply(inquiryId, reply));
  // Replies are only ever appended, so ours is the first exactly when it is the only one.
  const first = updated.replies.length === 1;
  return {
    inquiry: updated,
    ...(first ? { firstResponseSeconds: (Date.parse(reply.at) - Date.parse(inquiry.createdAt)) / 1000 } : {}),
  };
}
