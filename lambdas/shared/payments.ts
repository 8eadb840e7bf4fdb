import { SandboxGateway } from '../adapters/sandbox-gateway.js';
import type { PaymentGateway } from '../domain/payments.js';
import { requireEnv } from './config.js';

/** The gateway adapter the stack is configured with (PAYMENT_GATEWAY); the sandbox is the default. */
export function paymentGateway(): PaymentGateway & Partial<Pick<SandboxGateway, 'paymentsOf'>> {
  const name = process.env.PAYMENT_GATEWAY ?? 'sandbox';
  if (name !== 'sandbox') throw new Error(`Unknown PAYMENT_GATEWAY ${name}; this build has the sandbox gateway only.`);
  return new SandboxGateway(requireEnv('TABLE_NAME'));
}
