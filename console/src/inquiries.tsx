import { useState } from 'preact/hooks';
import { call, query } from './api';
import { Outcome, when } from './components';
import { useAction } from './hooks';
import { href } from './router';
import type { Inquiry, Page } from './types';

/** Lists of inquiries are read up to this many pages of 100. */
const MAX_PAGES = 10;

/** Every inquiry of a list (by status, or one order's), oldest first, page after page. */
async function allInquiries(list: { status: 'OPEN' } | { orderId: string }, signal?: AbortSignal): Promise<Inquiry[]> {
  const found: Inquiry[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, nextCursor } = await call<Page<Inquiry>>('GET', `/ops/inquiries${query({ ...list, limit: 100, cursor })}`, { signal });
    found.push(...items);
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return found;
}

/** The open inquiries, oldest first. */
export const openInquiries = (signal?: AbortSignal) => allInquiries({ status: 'OPEN' }, signal);

/** Every inquiry of one order, open and closed, oldest first. */
export const orderInquiries = (orderId: string, signal?: AbortSignal) => allInquiries({ orderId }, signal);

/** One inquiry with its thread and, while it is open, a reply form (the reply is emailed and closes the inquiry). */
export function InquiryCard({ inquiry, showOrder, onReplied }: { inquiry: Inquiry; showOrder?: boolean; onReplied?: () => void }) {
  const [message, setMessage] = useState('');
  const fieldId = `reply-${inquiry.inquiryId}`;
  const reply = useAction(async () => {
    await call('POST', `/ops/inquiries/${encodeURIComponent(inquiry.inquiryId)}/replies`, { body: { message } });
    setMessage('');
    onReplied?.();
    return `Reply sent to ${inquiry.customer.email}; the inquiry is closed.`;
  });
  return (
    <article class="inquiry" aria-label={`Inquiry: ${inquiry.subject}`}>
      <h3>{inquiry.subject}</h3>
      <p class="muted">
        {inquiry.customer.name} · {when(inquiry.createdAt)}
        {showOrder && (
          <>
            {' · '}
            <a href={href.order(inquiry.orderId)}>{inquiry.orderId}</a>
          </>
        )}
      </p>
      <blockquote>{inquiry.message}</blockquote>
      {inquiry.replies.map((answer) => (
        <p key={answer.at} class="reply">
          <strong>Reply</strong> ({when(answer.at)}): {answer.message}
        </p>
      ))}
      {inquiry.status === 'OPEN' ? (
        <form
          class="stack"
          onSubmit={(event) => {
            event.preventDefault();
            if (message.trim()) void reply.run();
          }}
        >
          <label for={fieldId}>Your reply to {inquiry.customer.name}</label>
          <textarea id={fieldId} rows={3} value={message} required onInput={(e) => setMessage((e.target as HTMLTextAreaElement).value)} />
          <button type="submit" class="primary" disabled={reply.busy}>
            Send reply
          </button>
          <Outcome done={reply.done} error={reply.error} needs="ops" />
        </form>
      ) : (
        <>
          <p class="muted">Closed.</p>
          <Outcome done={reply.done} error={reply.error} needs="ops" />
        </>
      )}
    </article>
  );
}
