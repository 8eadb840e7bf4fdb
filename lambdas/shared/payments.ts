import { SandboxGateway } from '../adapters/sandbox-gateway.js';
import { StripeGateway } from '../adapters/stripe-gateway.js';
import { MisconfiguredFunction } from '../domain/errors.js';
import type { PaymentGateway } from '../domain/payments.js';
import { requireEnv } from './config.js';

/** The gateway adapter the stack is configured with (PAYMENT_GATEWAY): `sandbox` (default) or `stripe`. */
export function paymentGateway(): PaymentGateway {
  const name = process.env.PAYMENT_GATEWAY ?? 'sandbox';
  if (name === 'sandbox') return new SandboxGateway(requireEnv('TABLE_NAME'));
  if (name === 'stripe') return new StripeGateway({ apiKey: requireEnv('STRIPE_API_KEY'), baseUrl: process.env.STRIPE_API_BASE });
  throw new MisconfiguredFunction(`Unknown PAYMENT_GATEWAY ${name}: use sandbox or stripe.`);
}
