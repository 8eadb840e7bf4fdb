import { SANDBOX_GATEWAY_FAULT_MESSAGE, SANDBOX_GATEWAY_FAULT_RATE, SandboxGateway } from '../adapters/sandbox-gateway.js';
import { StripeGateway } from '../adapters/stripe-gateway.js';
import { MisconfiguredFunction } from '../domain/errors.js';
import type { PaymentGateway } from '../domain/payments.js';
import { configuredPaymentGateway, requireEnv } from './config.js';
import { dynamoDb } from './dynamodb.js';
import { logger } from './observability.js';
import { secrets } from './secrets.js';

/** The sandbox's fault rate (SANDBOX_GATEWAY_FAULT_RATE, 0–1): a sandbox feature for fault drills, off when unset. */
function sandboxFaultRate(): number {
  const setting = process.env[SANDBOX_GATEWAY_FAULT_RATE];
  if (setting === undefined || setting === '') return 0;
  const rate = Number(setting);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1)
    throw new MisconfiguredFunction(`${SANDBOX_GATEWAY_FAULT_RATE} is "${setting}"; set a rate from 0 to 1, or unset it.`);
  return rate;
}

/** The gateway adapter the stack is configured with (PAYMENT_GATEWAY): `sandbox` (default) or `stripe`. */
export function paymentGateway(): PaymentGateway {
  const name = configuredPaymentGateway();
  if (name === 'sandbox') {
    return new SandboxGateway(requireEnv('TABLE_NAME'), dynamoDb, {
      rate: sandboxFaultRate(),
      onFault: (fault) => logger.warn(SANDBOX_GATEWAY_FAULT_MESSAGE, { ...fault }),
    });
  }
  // The key is read when a call is made, not here: a cold start costs no secret read, and a missing or unfilled
  // secret fails the step (MisconfiguredFunction) with the command that fills it in.
  const secretArn = requireEnv('STRIPE_API_KEY_SECRET_ARN');
  return new StripeGateway({ apiKey: () => secrets().get(secretArn), baseUrl: process.env.STRIPE_API_BASE });
}
