import type { MailMessage } from '../domain/mail.js';
import type { StoredReturn } from '../domain/returns.js';
import { formatMoney } from './email-templates.js';

/** Where returned parcels go. One warehouse for now; a deployment with several would take it from configuration. */
export const RETURNS_ADDRESS = ['Conveyor Returns', 'Dock 3, 1 Warehouse Way', '1011 AB Amsterdam', 'Netherlands'];

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);

type ReturnEmailData = Pick<StoredReturn, 'returnId' | 'rmaNumber' | 'orderId' | 'items' | 'customer'>;

const itemLines = (data: ReturnEmailData) => data.items.map((item) => `${item.quantity} × ${item.name} (${item.sku})`);

/** The same phone-friendly single column as the order emails: paragraphs, then the returned items. */
function layout(title: string, paragraphs: string[], data: ReturnEmailData): string {
  const items = data.items
    .map(
      (item) =>
        `<li>${item.quantity} × ${escapeHtml(item.name)} <span style="color:#666;font-size:13px">${escapeHtml(item.sku)}</span></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Arial,sans-serif;font-size:16px;line-height:1.5;color:#18181b">
<div style="max-width:600px;margin:0 auto;padding:24px 16px;background:#ffffff">
<h1 style="font-size:22px;margin:0 0 12px">${escapeHtml(title)}</h1>
${paragraphs.map((paragraph) => `<p style="margin:0 0 16px">${escapeHtml(paragraph).replaceAll('\n', '<br>')}</p>`).join('\n')}
<p style="margin:0 0 8px;color:#666;font-size:14px">Return ${escapeHtml(data.rmaNumber)} for order ${escapeHtml(data.orderId)}</p>
<ul style="margin:0;padding-left:20px">${items}</ul>
</div></body></html>`;
}

/** Sent when the return is requested: the RMA number and how to send the parcel back. */
export function renderReturnRequested(data: ReturnEmailData): MailMessage {
  const paragraphs = [
    `Hello ${data.customer.name}. We have registered your return ${data.rmaNumber} for order ${data.orderId}.`,
    `What to do: pack the items listed below, write the return number ${data.rmaNumber} clearly on the parcel, and send it to:\n${RETURNS_ADDRESS.join('\n')}`,
    'We refund you as soon as the warehouse has received and inspected the items.',
  ];
  return {
    to: data.customer.email,
    subject: `Return ${data.rmaNumber} for order ${data.orderId}: how to send it back`,
    html: layout('Your return is registered', paragraphs, data),
    text: [...paragraphs, '', `Return ${data.rmaNumber} for order ${data.orderId}`, ...itemLines(data)].join('\n\n'),
  };
}

/** Sent when the refund went out. */
export function renderReturnRefunded(data: ReturnEmailData & Pick<StoredReturn, 'refund' | 'refundDue'>): MailMessage {
  const refund = data.refund ?? data.refundDue;
  const paragraphs = [
    `Hello ${data.customer.name}. We received and inspected the items of your return ${data.rmaNumber} and refunded ${formatMoney(refund)} to your card.`,
    'The refund reaches your card within a few days.',
  ];
  return {
    to: data.customer.email,
    subject: `Return ${data.rmaNumber} refunded`,
    html: layout('Your return is refunded', paragraphs, data),
    text: [...paragraphs, '', `Return ${data.rmaNumber} for order ${data.orderId}`, ...itemLines(data)].join('\n\n'),
  };
}
