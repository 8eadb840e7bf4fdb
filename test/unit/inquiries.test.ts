import { describe, expect, it } from 'vitest';
import { renderInquiryReply } from '../../lambdas/adapters/email-templates.js';
import { EmailFailed, InquiryClosed, NotFound } from '../../lambdas/domain/errors.js';
import {
  type InquiryReply,
  InquiryReplyBody,
  type InquiryRepository,
  OpenInquiryBody,
  replyToInquiry,
  type StoredInquiry,
} from '../../lambdas/domain/inquiries.js';
import type { MailMessage } from '../../lambdas/domain/mail.js';

const asked: StoredInquiry = {
  inquiryId: 'inq_abc12345',
  orderId: 'ord_abc12345',
  storefrontId: 'shop-1',
  customer: { email: 'ada@example.com', name: 'Ada' },
  subject: 'Where is my mug?',
  message: 'It has been a week.',
  status: 'OPEN',
  replies: [],
  createdAt: '2026-01-01T10:00:00.000Z',
  updatedAt: '2026-01-01T10:00:00.000Z',
};
const reply: InquiryReply = { at: '2026-01-01T12:30:00.000Z', message: 'It ships today.', by: 'key_ops' };

/** An in-memory repository that records what was written, and can lose the race for the conditional write. */
function fakeRepository(initial: StoredInquiry | undefined, options: { closedMeanwhile?: boolean } = {}) {
  let stored = initial && { ...initial, replies: [...initial.replies] };
  const writes: string[] = [];
  const repository: Pick<InquiryRepository, 'get' | 'addReply' | 'recordLateReply'> = {
    get: async () => stored && { ...stored },
    addReply: async (_id, added, close) => {
      if (!stored || options.closedMeanwhile || stored.status !== 'OPEN') return undefined;
      writes.push(close ? 'reply+close' : 'reply');
      stored = { ...stored, replies: [...stored.replies, added], ...(close ? { status: 'CLOSED' as const, closedAt: added.at } : {}) };
      return stored;
    },
    recordLateReply: async (_id, added) => {
      if (!stored) throw new Error('gone');
      writes.push('late reply');
      stored = {
        ...stored,
        status: 'CLOSED',
        replies: [...stored.replies, { at: '2026-01-01T12:29:00.000Z', message: 'The other answer', by: 'key_other' }, added],
      };
      return stored;
    },
  };
  return { repository, writes };
}

function fakeMailer(fails = false) {
  const sent: MailMessage[] = [];
  return {
    sent,
    mailer: {
      send: async (message: MailMessage) => {
        if (fails) throw new EmailFailed('SES said no');
        sent.push(message);
      },
    },
  };
}

const render = (inquiry: StoredInquiry, answer: InquiryReply) => ({
  subject: `Re: ${inquiry.subject}`,
  html: answer.message,
  text: answer.message,
});

describe('replying to an inquiry', () => {
  it('emails the customer, records the reply, closes the inquiry and reports the first response time', async () => {
    const { repository, writes } = fakeRepository(asked);
    const { mailer, sent } = fakeMailer();

    const outcome = await replyToInquiry({ inquiries: repository, mailer, render }, asked.inquiryId, reply, true);

    expect(sent).toEqual([{ to: 'ada@example.com', subject: 'Re: Where is my mug?', html: 'It ships today.', text: 'It ships today.' }]);
    expect(writes).toEqual(['reply+close']);
    expect(outcome.inquiry).toMatchObject({ status: 'CLOSED', replies: [reply] });
    expect(outcome.firstResponseSeconds).toBe(2.5 * 3600);
  });

  it('reports no first response time for a later reply', async () => {
    const { repository } = fakeRepository({ ...asked, replies: [{ ...reply, at: '2026-01-01T11:00:00.000Z' }] });

    const outcome = await replyToInquiry({ inquiries: repository, mailer: fakeMailer().mailer, render }, asked.inquiryId, reply, false);

    expect(outcome.inquiry.status).toBe('OPEN');
    expect(outcome.inquiry.replies).toHaveLength(2);
    expect(outcome.firstResponseSeconds).toBeUndefined();
  });

  it('refuses a closed inquiry without sending anything', async () => {
    const { repository, writes } = fakeRepository({ ...asked, status: 'CLOSED' });
    const { mailer, sent } = fakeMailer();

    await expect(replyToInquiry({ inquiries: repository, mailer, render }, asked.inquiryId, reply, true)).rejects.toBeInstanceOf(
      InquiryClosed,
    );
    expect(sent).toEqual([]);
    expect(writes).toEqual([]);
  });

  it('changes nothing when the email fails, so ops can retry', async () => {
    const { repository, writes } = fakeRepository(asked);

    await expect(
      replyToInquiry({ inquiries: repository, mailer: fakeMailer(true).mailer, render }, asked.inquiryId, reply, true),
    ).rejects.toBeInstanceOf(EmailFailed);
    expect(writes).toEqual([]);
  });

  it('is not found for an unknown inquiry', async () => {
    const { repository } = fakeRepository(undefined);

    await expect(
      replyToInquiry({ inquiries: repository, mailer: fakeMailer().mailer, render }, 'inq_nothere1', reply, true),
    ).rejects.toBeInstanceOf(NotFound);
  });

  it('records a reply that was emailed while a concurrent one closed the inquiry, without reopening it', async () => {
    const { repository, writes } = fakeRepository(asked, { closedMeanwhile: true });
    const { mailer, sent } = fakeMailer();

    const outcome = await replyToInquiry({ inquiries: repository, mailer, render }, asked.inquiryId, reply, false);

    expect(sent).toHaveLength(1);
    expect(writes).toEqual(['late reply']);
    expect(outcome.inquiry.status).toBe('CLOSED');
    expect(outcome.inquiry.replies.at(-1)).toEqual(reply);
    expect(outcome.firstResponseSeconds).toBeUndefined();
  });
});

describe('inquiry bodies', () => {
  it('takes a subject of one line and a message, trimmed, and nothing else', () => {
    expect(OpenInquiryBody.parse({ subject: ' Late ', message: ' Where?\nStill waiting. ' })).toEqual({
      subject: 'Late',
      message: 'Where?\nStill waiting.',
    });
    expect(OpenInquiryBody.safeParse({ subject: 'Bcc: x\r\nSubject', message: 'x' }).success).toBe(false);
    expect(OpenInquiryBody.safeParse({ subject: '   ', message: 'x' }).success).toBe(false);
    expect(OpenInquiryBody.safeParse({ subject: 'x'.repeat(201), message: 'x' }).success).toBe(false);
    expect(OpenInquiryBody.safeParse({ subject: 'x', message: 'x'.repeat(5001) }).success).toBe(false);
    expect(OpenInquiryBody.safeParse({ subject: 'x', message: 'x', extra: 1 }).success).toBe(false);
  });

  it('closes with a reply unless told not to', () => {
    expect(InquiryReplyBody.parse({ message: 'Done' })).toEqual({ message: 'Done', close: true });
    expect(InquiryReplyBody.parse({ message: 'More soon', close: false })).toEqual({ message: 'More soon', close: false });
    expect(InquiryReplyBody.safeParse({ message: 'x', close: 'no' }).success).toBe(false);
  });
});

describe('the reply email', () => {
  const email = renderInquiryReply({
    orderId: 'ord_abc12345',
    customerName: 'Ada <b>',
    subject: 'Mug & "saucer"',
    question: 'Is it <script>alert(1)</script>?\n\nSecond paragraph',
    askedAt: '2026-01-01T10:00:00.000Z',
    reply: 'Yes & no.\nSee <a href="x">here</a>.',
  });

  it('escapes everything the customer and ops wrote in the HTML part', () => {
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<a href');
    expect(email.html).not.toContain('<b>');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.html).toContain('Mug &amp; &quot;saucer&quot;');
    expect(email.html).toContain('Yes &amp; no.<br>See &lt;a href=&quot;x&quot;&gt;here&lt;/a&gt;.');
  });

  it('quotes the question under the reply, in both parts, and names the order in the subject', () => {
    expect(email.subject).toBe('Re: Mug & "saucer" (order ord_abc12345)');
    expect(email.html).toContain('You wrote on 1 January 2026:');
    expect(email.html.indexOf('Yes &amp; no.')).toBeLessThan(email.html.indexOf('<blockquote'));
    expect(email.text).toBe(
      [
        'Hello Ada <b>,',
        '',
        'Yes & no.\nSee <a href="x">here</a>.',
        '',
        'You wrote on 1 January 2026:',
        '> Mug & "saucer"',
        '>',
        '> Is it <script>alert(1)</script>?',
        '>',
        '> Second paragraph',
      ].join('\n'),
    );
  });

  it('reads on a phone: the shared single-column layout', () => {
    expect(email.html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
    expect(email.html).toContain('max-width:600px');
  });
});
