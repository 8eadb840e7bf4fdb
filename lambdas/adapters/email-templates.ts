import type { Money } from '../domain/money.js';
import type { OrderLine, RejectionReason } from '../domain/orders.js';

/** What an order email needs to know; rendered at order placement, sent by the workflow through SES. */
export interface OrderEmailData {
  orderId: string;
  customerName: string;
  items: OrderLine[];
  subtotal: Money;
  shipping: Money;
  tax: Money;
  total: Money;
  shippingOption: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export function formatMoney(money: Money): string {
  const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency: money.currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(money.amount / 10 ** digits);
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);

const REJECTION_TEXT: Record<RejectionReason, string> = {
  OUT_OF_STOCK: 'Sadly, some of the items sold out before we could reserve them. You have not been charged.',
  PAYMENT_DECLINED: 'Your payment could not be completed, so the order was not placed. You have not been charged.',
  FRAUD_SUSPECTED:
    'We could not verify this order, so it was not placed. You have not been charged. Please contact us if this is a mistake.',
};

export interface ShipmentEmailData {
  carrier: string;
  service: string;
  trackingNumber: string;
  trackingUrl: string;
  estimatedDeliveryDate: string;
}

function totalsText(data: OrderEmailData): string[] {
  return [
    ...data.items.map((item) => `${item.quantity} × ${item.name} (${item.sku})  ${formatMoney(item.lineTotal)}`),
    '',
    `Subtotal  ${formatMoney(data.subtotal)}`,
    `Shipping (${data.shippingOption})  ${formatMoney(data.shipping)}`,
    `Tax  ${formatMoney(data.tax)}`,
    `Total  ${formatMoney(data.total)}`,
  ];
}

/** An order's email: a single-column layout that reads on a phone (system fonts, 16px text, a 600px cap, inline styles only). */
function layout(title: string, intro: string, data: OrderEmailData, extra = ''): string {
  const row = (label: string, value: string, strong = false) =>
    `<tr><td style="padding:6px 0;${strong ? 'font-weight:bold;' : ''}">${label}</td><td style="padding:6px 0;text-align:right;${strong ? 'font-weight:bold;' : ''}">${value}</td></tr>`;
  const lines = data.items
    .map((item) =>
      row(
        `${item.quantity} × ${escapeHtml(item.name)}<br><span style="color:#666;font-size:13px">${escapeHtml(item.sku)}</span>`,
        formatMoney(item.lineTotal),
      ),
    )
    .join('');
  return page(
    title,
    `<p style="margin:0 0 16px">${escapeHtml(intro)}</p>
<p style="margin:0 0 16px;color:#666;font-size:14px">Order ${escapeHtml(data.orderId)}</p>
${extra}<table role="presentation" style="width:100%;border-collapse:collapse">${lines}
<tr><td colspan="2" style="border-top:1px solid #e4e4e7"></td></tr>
${row('Subtotal', formatMoney(data.subtotal))}${row(`Shipping (${escapeHtml(data.shippingOption)})`, formatMoney(data.shipping))}${row('Tax', formatMoney(data.tax))}${row('Total', formatMoney(data.total), true)}
</table>`,
  );
}

/** The page every email shares: a heading over `content` (HTML, escaped already). */
function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Arial,sans-serif;font-size:16px;line-height:1.5;color:#18181b">
<div style="max-width:600px;margin:0 auto;padding:24px 16px;background:#ffffff">
<h1 style="font-size:22px;margin:0 0 12px">${escapeHtml(title)}</h1>
${content}
</div></body></html>`;
}

export function renderOrderConfirmed(data: OrderEmailData): RenderedEmail {
  const intro = `Thank you, ${data.customerName}. Your payment went through and your items are reserved; we will email you again when the parcel ships.`;
  return {
    subject: `Order ${data.orderId} confirmed`,
    html: layout('Your order is confirmed', intro, data),
    text: [`Hello ${data.customerName},`, '', intro, '', `Order ${data.orderId}`, ...totalsText(data)].join('\n'),
  };
}

export function renderOrderRejected(data: OrderEmailData, reason: RejectionReason): RenderedEmail {
  const intro = `Hello ${data.customerName}. ${REJECTION_TEXT[reason]}`;
  return {
    subject: `Order ${data.orderId} could not be completed`,
    html: layout('We could not complete your order', intro, data),
    text: [intro, '', `Order ${data.orderId}`, ...totalsText(data)].join('\n'),
  };
}

/**
 * A cancelled order: at the customer's (or ops') request, or because Conveyor could not fulfil it. Either way
 * the stock is released; `refunded` says whether money was paid back (after the capture) or never taken (the
 * authorization voided).
 */
export function renderOrderCancelled(data: OrderEmailData, cancellation: { requested: boolean; refunded?: Money }): RenderedEmail {
  const money =
    cancellation.refunded && cancellation.refunded.amount > 0
      ? `We refunded ${formatMoney(cancellation.refunded)} to your card; it reaches you within a few days.`
      : 'You have not been charged: the amount held on your card is released.';
  const intro = cancellation.requested
    ? `Hello ${data.customerName}. Your order was cancelled as requested. ${money}`
    : `Hello ${data.customerName}. We are sorry: we could not prepare your order, so we cancelled it. ${money}`;
  return {
    subject: `Order ${data.orderId} cancelled`,
    html: layout('Your order was cancelled', intro, data),
    text: [intro, '', `Order ${data.orderId}`, ...totalsText(data)].join('\n'),
  };
}

export function renderOrderShipped(data: OrderEmailData, shipment: ShipmentEmailData): RenderedEmail {
  const intro = `Good news, ${data.customerName}: your order is on its way with ${shipment.carrier} (${shipment.service}), expected by ${shipment.estimatedDeliveryDate}.`;
  const tracking = `<p style="margin:0 0 16px"><a href="${escapeHtml(shipment.trackingUrl)}" style="display:inline-block;padding:12px 20px;background:#18181b;color:#ffffff;text-decoration:none;border-radius:6px">Track parcel ${escapeHtml(shipment.trackingNumber)}</a></p>`;
  return {
    subject: `Order ${data.orderId} has shipped`,
    html: layout('Your order has shipped', intro, data, tracking),
    text: [
      intro,
      '',
      `Tracking number: ${shipment.trackingNumber}`,
      `Track it: ${shipment.trackingUrl}`,
      '',
      `Order ${data.orderId}`,
      ...totalsText(data),
    ].join('\n'),
  };
}

export function renderOrderDelivered(data: OrderEmailData, shipment: ShipmentEmailData): RenderedEmail {
  const intro = `Your parcel was delivered, ${data.customerName}. We hope you enjoy your order; reply to this email if anything is wrong.`;
  return {
    subject: `Order ${data.orderId} was delivered`,
    html: layout('Your order was delivered', intro, data),
    text: [intro, '', `Tracking number: ${shipment.trackingNumber}`, '', `Order ${data.orderId}`, ...totalsText(data)].join('\n'),
  };
}

/** What an answer to a customer's inquiry shows: the reply, then their question quoted. */
export interface InquiryReplyEmailData {
  orderId: string;
  customerName: string;
  subject: string;
  question: string;
  askedAt: string;
  reply: string;
}

/** Paragraphs as the sender typed them: blank lines split paragraphs, single newlines become line breaks. */
const paragraphs = (text: string, style: string) =>
  text
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => `<p style="${style}">${escapeHtml(paragraph.trim()).replace(/\r?\n/g, '<br>')}</p>`)
    .join('\n');

const askedOn = (at: string) =>
  new Date(at).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export function renderInquiryReply(data: InquiryReplyEmailData): RenderedEmail {
  // One line, whatever the stored subject holds: it becomes a mail header.
  const subject = `Re: ${data.subject.replace(/\s+/g, ' ')} (order ${data.orderId})`;
  const quote = `You wrote on ${askedOn(data.askedAt)}:`;
  const html = page(
    `About your order ${data.orderId}`,
    `<p style="margin:0 0 16px">Hello ${escapeHtml(data.customerName)},</p>
${paragraphs(data.reply, 'margin:0 0 16px')}
<p style="margin:24px 0 8px;color:#666;font-size:14px">${escapeHtml(quote)}</p>
<blockquote style="margin:0;padding:8px 0 8px 12px;border-left:3px solid #e4e4e7;color:#52525b">
<p style="margin:0 0 8px;font-weight:bold">${escapeHtml(data.subject)}</p>
${paragraphs(data.question, 'margin:0 0 8px')}
</blockquote>`,
  );
  const quoted = [data.subject, '', ...data.question.split(/\r?\n/)].map((line) => (line ? `> ${line}` : '>'));
  return {
    subject,
    html,
    text: [`Hello ${data.customerName},`, '', data.reply, '', quote, ...quoted].join('\n'),
  };
}
