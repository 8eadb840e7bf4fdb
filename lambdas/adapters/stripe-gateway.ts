import { GatewayRefused, GatewayTimeout, PaymentDeclined } from '../domain/errors.js';
import type { Money } from '../domain/money.js';
import type { Authorization, Capture, CaptureRecord, PaymentGateway, Refund } from '../domain/payments.js';

/** How long a call to Stripe may take before it counts as timed out. */
export const STRIPE_TIMEOUT_MS = 4_000;

export interface StripeOptions {
  /** The secret key, or where to get it before each call (the SecretStore, which caches it: a rotated key is taken up within minutes). */
  apiKey: string | (() => Promise<string>);
  /** https://api.stripe.com in production; a local fake in tests. */
  baseUrl?: string;
  timeoutMs?: number;
}

interface StripeError {
  error: { type: string; code?: string; decline_code?: string; message?: string };
}

/** Stripe wants form encoding with bracketed keys for nested objects. */
function formEncode(params: Record<string, string | number | boolean | Record<string, string>>): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === 'object') for (const [inner, innerValue] of Object.entries(value)) form.append(`${key}[${inner}]`, innerValue);
    else form.append(key, String(value));
  }
  return form.toString();
}

/**
 * Stripe PaymentIntents with manual capture: authorize = create and confirm, capture, void = cancel.
 * Every call carries an Idempotency-Key, so Stripe replays a retried request instead of charging twice.
 * A timeout or a 5xx leaves the outcome unknown and is reported as GatewayTimeout (retry with the same key).
 */
export class StripeGateway implements PaymentGateway {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: StripeOptions) {
    this.baseUrl = options.baseUrl ?? 'https://api.stripe.com';
    // Well inside the functions' 10-second timeout, so a slow Stripe is a GatewayTimeout the workflow retries with
    // the same key, not a function killed mid-call.
    this.timeoutMs = options.timeoutMs ?? STRIPE_TIMEOUT_MS;
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    idempotencyKey?: string,
    params?: Parameters<typeof formEncode>[0],
  ): Promise<T> {
    const apiKey = typeof this.options.apiKey === 'string' ? this.options.apiKey : await this.options.apiKey();
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/x-www-form-urlencoded',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: params ? formEncode(params) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new GatewayTimeout(`Stripe did not answer ${method} ${path}: ${(cause as Error).message}`, { cause });
    }
    // A 5xx may not even be JSON (a proxy's HTML page): the outcome is unknown either way.
    if (response.status >= 500) throw new GatewayTimeout(`Stripe answered ${response.status} to ${method} ${path}.`);
    let body: T & Partial<StripeError>;
    try {
      body = (await response.json()) as T & Partial<StripeError>;
    } catch (cause) {
      // Not JSON: a proxy or load balancer answered, not Stripe. A 2xx's outcome is unknown; a 4xx refused the call.
      if (response.ok) throw new GatewayTimeout(`Stripe's answer to ${method} ${path} was not JSON; its outcome is unknown.`, { cause });
      throw new GatewayRefused(`Stripe refused ${method} ${path} (${response.status}) with an answer that is not JSON.`, { cause });
    }
    if (body.error?.type === 'card_error') throw new PaymentDeclined(body.error.decline_code ?? body.error.code ?? 'card_declined');
    if (!response.ok)
      throw new GatewayRefused(`Stripe refused ${method} ${path} (${response.status}): ${body.error?.message ?? 'no message'}`);
    return body;
  }

  async authorize(request: { orderId: string; amount: Money; token: string; idempotencyKey: string }): Promise<Authorization> {
    const intent = await this.call<{ id: string; status: string }>('POST', '/v1/payment_intents', request.idempotencyKey, {
      amount: request.amount.amount,
      currency: request.amount.currency.toLowerCase(),
      payment_method: request.token,
      confirm: true,
      capture_method: 'manual',
      metadata: { orderId: request.orderId },
    });
    if (intent.status !== 'requires_capture') throw new PaymentDeclined(`unexpected_status_${intent.status}`);
    return { authorizationId: intent.id, amount: request.amount };
  }

  async capture(request: { orderId: string; authorizationId: string; amount: Money; idempotencyKey: string }): Promise<Capture> {
    const intent = await this.call<{ id: string; latest_charge?: string }>(
      'POST',
      `/v1/payment_intents/${encodeURIComponent(request.authorizationId)}/capture`,
      request.idempotencyKey,
      { amount_to_capture: request.amount.amount },
    );
    return { captureId: intent.latest_charge ?? intent.id, amount: request.amount };
  }

  async void(request: { orderId: string; authorizationId: string; idempotencyKey: string }): Promise<void> {
    await this.call('POST', `/v1/payment_intents/${encodeURIComponent(request.authorizationId)}/cancel`, request.idempotencyKey, {});
  }

  async refund(request: { orderId: string; captureId: string; amount: Money; idempotencyKey: string }): Promise<Refund> {
    const refund = await this.call<{ id: string }>('POST', '/v1/refunds', request.idempotencyKey, {
      charge: request.captureId,
      amount: request.amount.amount,
    });
    return { refundId: refund.id, amount: request.amount };
  }

  async captures(orderId: string): Promise<CaptureRecord[]> {
    const query = encodeURIComponent(`metadata['orderId']:'${orderId}' AND status:'succeeded'`);
    const found = await this.call<{ data: { id: string; latest_charge?: string | null }[] }>(
      'GET',
      `/v1/payment_intents/search?query=${query}`,
    );
    const charges = await Promise.all(
      found.data
        .filter((intent) => intent.latest_charge)
        .map((intent) =>
          this.call<{
            id: string;
            amount_captured: number;
            amount_refunded: number;
            currency: string;
            refunds?: { data: { id: string; amount: number }[] };
          }>('GET', `/v1/charges/${encodeURIComponent(intent.latest_charge as string)}?expand[]=refunds`),
        ),
    );
    return charges
      .filter((charge) => charge.amount_captured > 0)
      .map((charge) => ({
        captureId: charge.id,
        amount: { amount: charge.amount_captured, currency: charge.currency.toUpperCase() },
        refunded: { amount: charge.amount_refunded, currency: charge.currency.toUpperCase() },
        refunds: (charge.refunds?.data ?? []).map((refund) => ({
          refundId: refund.id,
          amount: { amount: refund.amount, currency: charge.currency.toUpperCase() },
        })),
      }));
  }

  async openAuthorizations(orderId: string): Promise<string[]> {
    const query = encodeURIComponent(`metadata['orderId']:'${orderId}' AND status:'requires_capture'`);
    const found = await this.call<{ data: { id: string }[] }>('GET', `/v1/payment_intents/search?query=${query}`);
    return found.data.map((intent) => intent.id);
  }
}
