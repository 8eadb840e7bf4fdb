import * as z from 'zod';
import { PAYMENT_GATEWAYS } from '../lambdas/domain/payments.js';

/** The carriers Conveyor buys labels from (CARRIER in buy-label's and carrier-webhook's environment). */
export const CARRIERS = ['sandbox', 'easypost'] as const;
export type Carrier = (typeof CARRIERS)[number];

/**
 * What a deploy chooses, validated at synth. Every choice is explicit: a stack that defaulted to the sandbox
 * gateway would take real orders and charge nobody.
 */
export const ConveyorConfig = z
  .object({
    /** Who charges cards: the sandbox (tokens from API.md, no money moves) or Stripe. */
    paymentGateway: z.enum(PAYMENT_GATEWAYS),
    /** Who sells shipping labels and sends tracking events: the sandbox carrier or EasyPost. */
    carrier: z.enum(CARRIERS),
    /** The address order emails come from (an SES identity the stack creates; AWS verifies it before mail goes out). */
    senderEmail: z.email(),
    /** Where alarms are emailed (an SNS subscription the recipient confirms); without it alarms only show in CloudWatch. */
    alarmEmail: z.email().optional(),
    /** With carrier=easypost: the shop's address in EasyPost (created once with POST /v2/addresses), labels ship from it. */
    carrierFromAddressId: z
      .string()
      .regex(/^adr_[A-Za-z0-9]+$/, 'must be an EasyPost address id (adr_…)')
      .optional(),
  })
  .refine((config) => config.carrier !== 'easypost' || config.carrierFromAddressId !== undefined, {
    message: 'carrier=easypost needs the address labels ship from',
    path: ['carrierFromAddressId'],
  });
export type ConveyorConfig = z.infer<typeof ConveyorConfig>;

/** What `npm run synth`, the local cloud and the tests deploy: nothing real is charged or shipped. */
export const SANDBOX_CONFIG: ConveyorConfig = {
  paymentGateway: 'sandbox',
  carrier: 'sandbox',
  senderEmail: 'orders@conveyor.example',
};

/** The `cdk` flags that select a configuration, e.g. `-c paymentGateway=sandbox`. */
export function contextFlags(config: ConveyorConfig): string[] {
  return Object.entries(config).flatMap(([key, value]) => (value === undefined ? [] : ['-c', `${key}=${value}`]));
}

const USAGE =
  '-c paymentGateway=sandbox|stripe -c carrier=sandbox|easypost -c senderEmail=<orders@your-shop.example> [-c alarmEmail=<ops@your-shop.example>] [-c carrierFromAddressId=<adr_…> with carrier=easypost]';

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/**
 * The configuration from CDK context (`-c key=value`); throws a ConfigurationError that names every missing or
 * wrong value and the flags to pass.
 */
export function configFromContext(context: (key: string) => unknown): ConveyorConfig {
  const given = Object.fromEntries(Object.keys(ConveyorConfig.shape).map((key) => [key, context(key) || undefined]));
  const result = ConveyorConfig.safeParse(given);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0]);
    return given[key] === undefined ? `${key} is missing` : `${key} "${String(given[key])}" is not valid (${issue.message})`;
  });
  throw new ConfigurationError(
    `Conveyor needs its configuration: ${problems.join('; ')}. Pass ${USAGE} ` +
      '(npm run synth and the local cloud pass the sandbox choices; see README, "Deploying to AWS").',
  );
}
