import { describe, expect, it } from 'vitest';
import { formatMoney, type OrderEmailData, renderOrderConfirmed, renderOrderRejected } from '../../lambdas/adapters/email-templates.js';
import { money } from '../../lambdas/domain/money.js';

const data: OrderEmailData = {
  orderId: 'ord_abc123',
  customerName: 'Ada <script>',
  items: [{ sku: 'MUG-001', name: 'Mug & saucer', quantity: 2, unitPrice: money(1499, 'EUR'), lineTotal: money(2998, 'EUR') }],
  subtotal: money(2998, 'EUR'),
  shipping: money(495, 'EUR'),
  tax: money(664, 'EUR'),
  total: money(4157, 'EUR'),
  shippingOption: 'standard',
};

describe('order emails', () => {
  it('formats money from minor units', () => {
    expect(formatMoney(money(4157, 'EUR'))).toBe('€41.57');
    expect(formatMoney(money(1200, 'JPY'))).toBe('JP¥1,200');
  });

  it('renders the confirmation with every line and the totals, in HTML and text', () => {
    const email = renderOrderConfirmed(data);
    expect(email.subject).toBe('Order ord_abc123 confirmed');
    for (const part of [email.html, email.text]) {
      expect(part).toContain('€29.98');
      expect(part).toContain('€41.57');
      expect(part).toContain('MUG-001');
    }
    expect(email.text).toContain('2 × Mug & saucer');
  });

  it('escapes customer and product text in HTML', () => {
    const { html } = renderOrderConfirmed(data);
    expect(html).toContain('Ada &lt;script&gt;');
    expect(html).toContain('Mug &amp; saucer');
    expect(html).not.toContain('<script>');
  });

  it('is laid out for phones: a viewport, one column capped at 600px, no external resources', () => {
    const { html } = renderOrderConfirmed(data);
    expect(html).toContain('name="viewport" content="width=device-width,initial-scale=1"');
    expect(html).toContain('max-width:600px');
    expect(html).not.toMatch(/<link|<img|https?:\/\//);
  });

  it('explains each rejection reason and says nobody was charged', () => {
    for (const reason of ['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'FRAUD_SUSPECTED'] as const) {
      const email = renderOrderRejected(data, reason);
      expect(email.subject).toBe('Order ord_abc123 could not be completed');
      expect(email.text).toContain('You have not been charged');
    }
    expect(renderOrderRejected(data, 'OUT_OF_STOCK').text).toContain('sold out');
  });
});

describe('shipped email', () => {
  it('names the carrier and links the tracking page', async () => {
    const { renderOrderShipped } = await import('../../lambdas/adapters/email-templates.js');
    const email = renderOrderShipped(data, {
      carrier: 'Conveyor Sandbox Carrier',
      service: 'Express',
      trackingNumber: 'CVY000000000042',
      trackingUrl: 'https://tracking.sandbox-carrier.example/CVY000000000042',
      estimatedDeliveryDate: '2026-12-01',
    });
    expect(email.subject).toBe('Order ord_abc123 has shipped');
    expect(email.html).toContain('href="https://tracking.sandbox-carrier.example/CVY000000000042"');
    expect(email.text).toContain('Tracking number: CVY000000000042');
    expect(email.text).toContain('expected by 2026-12-01');
  });
});
