import { GatewayRefused } from './errors.js';
import type { Money } from './money.js';
import { type CaptureRecord, outstanding, type PaymentGateway, type Refund } from './payments.js';

/** Every refund of the order's captures, as the gateway records them (the order keeps a copy: orders.recordRefunds). */
export function allRefunds(captures: readonly CaptureRecord[]): Refund[] {
  return captures.flatMap((capture) => capture.refunds);
}

/** The sum refunded over the order's captures, as the gateway records it; undefined when nothing was captured. */
export function refundedTotal(captures: readonly CaptureRecord[]): Money | undefined {
  const [first] = captures;
  if (!first) return undefined;
  return { currency: first.amount.currency, amount: captures.reduce((sum, capture) => sum + capture.refunded.amount, 0) };
}

/**
 * Settles an order's payment for good — the order was rejected or cancelled: voids every open authorization
 * and refunds what is left of every capture. The gateway's records decide, not the workflow's state (a
 * timed-out call leaves no id there), and keys per authorization, capture and `reason` make a retried or
 * redriven step void and refund once. `all` is every refund the order has afterwards, read back from the
 * gateway, so a retry that finds nothing left to do still reports the refund an earlier attempt made.
 */
export async function settlePayment(
  gateway: PaymentGateway,
  orderId: string,
  reason: string,
): Promise<{ voided: number; refunds: Refund[]; all: Refund[]; refunded: Money | undefined }> {
  const [open, captures] = await Promise.all([gateway.openAuthorizations(orderId), gateway.captures(orderId)]);
  for (const authorizationId of open)
    await gateway.void({ orderId, authorizationId, idempotencyKey: `${orderId}:void:${authorizationId}` });
  const refunds: Refund[] = [];
  for (const capture of outstanding(captures))
    refunds.push(await gateway.refund({ orderId, ...capture, idempotencyKey: `${orderId}:refund:${capture.captureId}:${reason}` }));
  const after = refunds.length ? await gateway.captures(orderId) : captures;
  return { voided: open.length, refunds, all: allRefunds(after), refunded: refundedTotal(after) };
}

/**
 * Refunds part of an order's payment once per `idempotencyKey` (a return's refund): from the first capture
 * large enough, so a retry picks the same capture and the gateway answers it with the first refund. The
 * gateway refuses a refund beyond what is left of the capture. `all` is every refund the order has afterwards.
 */
export async function refundPart(
  gateway: PaymentGateway,
  orderId: string,
  amount: Money,
  idempotencyKey: string,
): Promise<{ refund: Refund; all: Refund[]; refunded: Money | undefined }> {
  const captures = [...(await gateway.captures(orderId))].sort((a, b) => a.captureId.localeCompare(b.captureId));
  const capture = captures.find((candidate) => candidate.amount.currency === amount.currency && candidate.amount.amount >= amount.amount);
  if (!capture) throw new GatewayRefused(`Order ${orderId} has no capture of at least ${amount.amount} ${amount.currency} to refund from.`);
  const refund = await gateway.refund({ orderId, captureId: capture.captureId, amount, idempotencyKey });
  const after = await gateway.captures(orderId);
  return { refund, all: allRefunds(after), refunded: refundedTotal(after) };
}
