import type { Money } from './money.js';

/** The gateways a stack can be deployed with (PAYMENT_GATEWAY); `sandbox` moves no money. */
export const PAYMENT_GATEWAYS = ['sandbox', 'stripe'] as const;
export type PaymentGatewayName = (typeof PAYMENT_GATEWAYS)[number];

/** The port every payment gateway adapter implements. Idempotency keys make every call safe to retry. */
export interface PaymentGateway {
  authorize(request: { orderId: string; amount: Money; token: string; idempotencyKey: string }): Promise<Authorization>;
  capture(request: { orderId: string; authorizationId: string; amount: Money; idempotencyKey: string }): Promise<Capture>;
  void(request: { orderId: string; authorizationId: string; idempotencyKey: string }): Promise<void>;
  refund(request: { orderId: string; captureId: string; amount: Money; idempotencyKey: string }): Promise<Refund>;
  /** Authorizations of the order still open on the gateway's side (a timed-out call may have left one). */
  openAuthorizations(orderId: string): Promise<string[]>;
  /**
   * Every capture of the order, with how much of it was refunded: a capture whose answer was lost (a timeout
   * after the gateway captured) is found here, not in the workflow's state. The gateway's records are the truth
   * about money; the order's `refunded` is a copy of their sum.
   */
  captures(orderId: string): Promise<CaptureRecord[]>;
}

export interface CaptureRecord extends Capture {
  refunded: Money;
  /** Every refund of the capture, so a caller that retries after a lost answer still learns of the first one. */
  refunds: Refund[];
}

/** Captures with money still refundable, each with what is left (captured minus refunded). */
export function outstanding(captures: readonly CaptureRecord[]): Capture[] {
  return captures
    .map((capture) => ({
      captureId: capture.captureId,
      amount: { ...capture.amount, amount: capture.amount.amount - capture.refunded.amount },
    }))
    .filter((capture) => capture.amount.amount > 0);
}

export interface Refund {
  refundId: string;
  amount: Money;
}

export interface Authorization {
  authorizationId: string;
  amount: Money;
}

export interface Capture {
  captureId: string;
  amount: Money;
}
