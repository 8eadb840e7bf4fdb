import type { Money } from './money.js';

/** The port every payment gateway adapter implements. Idempotency keys make every call safe to retry. */
export interface PaymentGateway {
  authorize(request: { orderId: string; amount: Money; token: string; idempotencyKey: string }): Promise<Authorization>;
  capture(request: { orderId: string; authorizationId: string; amount: Money; idempotencyKey: string }): Promise<Capture>;
  void(request: { orderId: string; authorizationId: string; idempotencyKey: string }): Promise<void>;
  refund(request: { orderId: string; captureId: string; amount: Money; idempotencyKey: string }): Promise<Refund>;
  /** Authorizations of the order still open on the gateway's side (a timed-out call may have left one). */
  openAuthorizations(orderId: string): Promise<string[]>;
  /**
   * Captures of the order with money not yet refunded, each with the amount still refundable: a capture
   * whose answer was lost (a timeout after the gateway captured) is found here, not in the workflow's state.
   */
  outstandingCaptures(orderId: string): Promise<Capture[]>;
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
