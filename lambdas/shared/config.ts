import { MisconfiguredFunction } from '../domain/errors.js';
import { PAYMENT_GATEWAYS, type PaymentGatewayName } from '../domain/payments.js';
/** Reads a required environment variable; the function construct in lib/function.ts sets them. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new MisconfiguredFunction(`Environment variable ${name} is not set; the function's construct should set it.`);
  return value;
}

/** The stack's payment gateway (PAYMENT_GATEWAY, set from the synth's configuration); sandbox when unset, as in unit tests. */
export function configuredPaymentGateway(): PaymentGatewayName {
  const name = process.env.PAYMENT_GATEWAY ?? 'sandbox';
  const gateway = PAYMENT_GATEWAYS.find((known) => known === name);
  if (!gateway) throw new MisconfiguredFunction(`Unknown PAYMENT_GATEWAY ${name}: use ${PAYMENT_GATEWAYS.join(' or ')}.`);
  return gateway;
}
