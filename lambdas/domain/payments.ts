import type { Money } from './money.js';

/** The port every payment gateway adapter implements. Idempotency keys make every call safe to retry. */
export interface PaymentGateway {
  authorize(request: { orderId: string; amount: Money; token: string; idempotencyKey: string }): Promise<Authorization>;
  capture(request: { orderId: string; authorizationId: string; amount: Money; idempotencyKey: string }): Promise<Capture>;
  void(request: { orderId: string; authorizationId: string; idempotencyKey: string }): Promise<void>;
  refund(request: { orderId: string; captureId: string; amount: Money; idempotencyKey: string }): Promise<Refund>;
  /** Authorizations of the order still open on the gateway's side (a timed-out call may have left one). */
  openAuthorizations(orderId: string): Promise<string[]>;
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

/** The card was declined; the workflow rejects the order with PAYMENT_DECLINED. Not retried. */
export class PaymentDeclined extends Error {
  constructor(readonly declineCode: string) {
    super(`Payment declined: ${declineCode}`);
    this.name = 'PaymentDeclined';
  }
}

/** The gateway did not answer in time; the outcome is unknown, so the workflow retries with the same key, then voids. */
export class GatewayTimeout extends Error {
  constructor(message = 'The payment gateway did not answer in time.') {
    super(message);
    this.name = 'GatewayTimeout';
  }
}
