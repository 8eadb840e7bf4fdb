import { describe, expect, it } from 'vitest';
import { SANDBOX_CONFIG } from '../../lib/config.js';
import { CARRIER_WEBHOOK_SECRET_LENGTH } from '../../lib/secrets.js';
import { actions, type Statement, synthesizedStack } from './stack-template.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const WEBHOOKS = ['carrier-webhook', 'easypost-webhook'];
const PAYERS = ['authorize-payment', 'capture-payment', 'void-payment', 'refund-payment', 'process-return'];
const SECRET_VARIABLES = ['CARRIER_WEBHOOK_SECRET_ARN', 'STRIPE_API_KEY_SECRET_ARN', 'CARRIER_API_KEY_SECRET_ARN'];

/** Every function's handler folder, environment and secret-reading statements. */
function functionsOf(stack: ReturnType<typeof synthesizedStack>) {
  const resources = stack.template.toJSON().Resources as Resources;
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id, resource]) => {
      const variables = ((resource.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}) as Record<
        string,
        unknown
      >;
      const reads = stack
        .statementsOf(id)
        .filter((statement) => actions([statement]).some((action) => action.startsWith('secretsmanager:')));
      return { id, handler: variables.CONVEYOR_FUNCTION as string | undefined, variables, reads };
    });
}

const secretIds = (resources: Resources) =>
  Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::SecretsManager::Secret')
    .map(([id]) => id);

/** The one secret a set of statements may read, by logical id; fails on any other action or resource. */
function onlyReads(statements: Statement[]): string[] {
  for (const statement of statements) expect([statement.Action].flat()).toEqual(['secretsmanager:GetSecretValue']);
  return statements.map((statement) => (statement.Resource as { Ref: string }).Ref);
}

describe('secrets on the sandbox configuration', () => {
  const stack = synthesizedStack(SANDBOX_CONFIG);
  const resources = stack.template.toJSON().Resources as Resources;

  it('generates the carrier webhook secret at deploy: no value and no development secret in the template', () => {
    const [webhookSecret, ...others] = secretIds(resources);
    expect(others).toEqual([]);
    expect(resources[webhookSecret as string]?.Properties).toMatchObject({
      GenerateSecretString: { ExcludePunctuation: true, PasswordLength: CARRIER_WEBHOOK_SECRET_LENGTH },
    });
    expect(resources[webhookSecret as string]?.Properties).not.toHaveProperty('SecretString');
    expect(CARRIER_WEBHOOK_SECRET_LENGTH).toBeGreaterThanOrEqual(32);
    const text = JSON.stringify(stack.template.toJSON());
    expect(text).not.toContain('local-carrier-secret');
    expect(text).not.toMatch(/CARRIER_WEBHOOK_SECRET"|STRIPE_API_KEY"|CARRIER_API_KEY"/);
  });

  it('gives the webhooks the secret ARN and GetSecretValue on that secret only; no other function reads a secret', () => {
    const [webhookSecret] = secretIds(resources);
    const functions = functionsOf(stack);
    for (const fn of functions) {
      if (WEBHOOKS.includes(fn.handler ?? '')) {
        expect(fn.variables.CARRIER_WEBHOOK_SECRET_ARN, fn.handler).toEqual({ Ref: webhookSecret });
        expect(onlyReads(fn.reads), fn.handler).toEqual([webhookSecret]);
      } else {
        expect(fn.reads, fn.handler ?? fn.id).toEqual([]);
        for (const variable of SECRET_VARIABLES) expect(fn.variables, fn.handler ?? fn.id).not.toHaveProperty(variable);
      }
    }
    expect(functions.filter((fn) => WEBHOOKS.includes(fn.handler ?? ''))).toHaveLength(2);
  });

  it('outputs the webhook secret ARN for the deployer', () => {
    stack.template.hasOutput('CarrierWebhookSecretArn', { Value: { Ref: secretIds(resources)[0] } });
  });
});

describe('secrets on Stripe and EasyPost', () => {
  const stack = synthesizedStack({
    paymentGateway: 'stripe',
    carrier: 'easypost',
    carrierFromAddressId: 'adr_shop1',
    senderEmail: 'orders@shop.example',
  });
  const resources = stack.template.toJSON().Resources as Resources;
  const byVariable = (variable: string) => functionsOf(stack).filter((fn) => fn.variables[variable] !== undefined);

  it('creates the Stripe and EasyPost key secrets holding the placeholder, never a key', () => {
    const ids = secretIds(resources);
    expect(ids).toHaveLength(3);
    const placeholders = ids.filter((id) => typeof resources[id]?.Properties.SecretString === 'string');
    expect(placeholders).toHaveLength(2);
    for (const id of placeholders) expect(resources[id]?.Properties.SecretString).toMatch(/^UNSET: /);
    stack.template.hasOutput('StripeApiKeySecretArn', {});
    stack.template.hasOutput('CarrierApiKeySecretArn', {});
  });

  it('lets only the payment functions read the Stripe key, only buy-label the EasyPost key, only the webhooks the webhook secret', () => {
    const stripe = byVariable('STRIPE_API_KEY_SECRET_ARN');
    expect(stripe.map((fn) => fn.handler).sort()).toEqual([...PAYERS].sort());
    const carrierKey = byVariable('CARRIER_API_KEY_SECRET_ARN');
    expect(carrierKey.map((fn) => fn.handler)).toEqual(['buy-label']);
    expect(
      byVariable('CARRIER_WEBHOOK_SECRET_ARN')
        .map((fn) => fn.handler)
        .sort(),
    ).toEqual(WEBHOOKS);
    for (const [variable, readers] of [
      ['STRIPE_API_KEY_SECRET_ARN', stripe],
      ['CARRIER_API_KEY_SECRET_ARN', carrierKey],
    ] as const) {
      for (const fn of readers) expect(onlyReads(fn.reads), fn.handler).toEqual([(fn.variables[variable] as { Ref: string }).Ref]);
    }
    const readers = new Set([...stripe, ...carrierKey, ...byVariable('CARRIER_WEBHOOK_SECRET_ARN')].map((fn) => fn.id));
    for (const fn of functionsOf(stack)) if (!readers.has(fn.id)) expect(fn.reads, fn.handler ?? fn.id).toEqual([]);
  });

  it('puts no secret value in any function environment: every secret or key variable is a *_SECRET_ARN reference', () => {
    const secretLike = (name: string) => /SECRET|TOKEN|PASSWORD|_KEY$|API_KEY(?!_CACHE_SECONDS$)/.test(name);
    for (const fn of functionsOf(stack))
      for (const [name, value] of Object.entries(fn.variables))
        if (secretLike(name)) {
          expect(name, fn.handler).toMatch(/_SECRET_ARN$/);
          expect(value, `${fn.handler} ${name}`).toEqual({ Ref: expect.stringMatching(/^Secrets/) });
        }
  });
});
