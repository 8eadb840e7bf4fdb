import { CfnOutput, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { UNSET_SECRET_VALUE } from '../lambdas/domain/secrets.js';
import type { ConveyorConfig } from './config.js';

/** Length of the generated carrier webhook secret (letters and digits, no punctuation: carriers' forms take it as is). */
export const CARRIER_WEBHOOK_SECRET_LENGTH = 48;

const ID = 'Secrets';

/**
 * Conveyor's secrets, in Secrets Manager. None of their values is in the template or a function's environment:
 * functions get the secret's ARN (`…_SECRET_ARN`) and `secretsmanager:GetSecretValue` on that one secret
 * (lib/function.ts), and read it at run time through the SecretStore (lambdas/shared/secrets.ts).
 *
 * - The carrier webhook secret is generated at deploy. Rotation is manual (README, "Deploying to AWS"): put a new
 *   version, then give it to the carrier; the webhooks accept the previous version meanwhile.
 * - The Stripe secret key (paymentGateway=stripe) and the EasyPost API key (carrier=easypost) are issued by those
 *   providers: the stack creates each secret holding UNSET_SECRET_VALUE, and the deployer puts the real key once
 *   (`aws secretsmanager put-secret-value`); a function refuses the placeholder with that command.
 *   Created by the stack rather than imported by name, so each grant names exactly one secret and no deploy depends
 *   on a secret made by hand beforehand; a later put-secret-value is kept across deploys (CloudFormation does not
 *   touch a secret's value when its SecretString in the template is unchanged).
 */
export class ConveyorSecrets extends Construct {
  readonly carrierWebhookSecret: secretsmanager.Secret;
  /** Only with paymentGateway=stripe. */
  readonly stripeApiKey?: secretsmanager.Secret;
  /** Only with carrier=easypost. */
  readonly carrierApiKey?: secretsmanager.Secret;

  /** The stack's secrets (created by ConveyorStack before any function that reads one). */
  static of(scope: Construct): ConveyorSecrets {
    const found = Stack.of(scope).node.tryFindChild(ID);
    if (!(found instanceof ConveyorSecrets)) throw new Error('ConveyorSecrets must be created in the stack before the functions.');
    return found;
  }

  constructor(scope: Stack, config: Pick<ConveyorConfig, 'paymentGateway' | 'carrier'>) {
    super(scope, ID);
    this.carrierWebhookSecret = new secretsmanager.Secret(this, 'CarrierWebhookSecret', {
      description: 'Conveyor: the secret carriers sign tracking webhooks with (HMAC-SHA256); rotate with put-secret-value',
      generateSecretString: { passwordLength: CARRIER_WEBHOOK_SECRET_LENGTH, excludePunctuation: true, includeSpace: false },
    });
    this.acknowledgeManualRotation(
      this.carrierWebhookSecret,
      'Rotated by hand (put-secret-value, then the new value is given to the carrier): a rotation Lambda cannot change the secret on the carrier side. The webhooks accept the previous version meanwhile (README, "Deploying to AWS").',
    );
    new CfnOutput(scope, 'CarrierWebhookSecretArn', {
      value: this.carrierWebhookSecret.secretArn,
      description: 'The secret carriers sign webhooks with: aws secretsmanager get-secret-value --secret-id <this>',
    });
    if (config.paymentGateway === 'stripe') {
      this.stripeApiKey = this.deployerFilled('StripeApiKey', 'Conveyor: the Stripe secret key (sk_live_…), put by the deployer');
      new CfnOutput(scope, 'StripeApiKeySecretArn', {
        value: this.stripeApiKey.secretArn,
        description: 'Put the Stripe secret key: aws secretsmanager put-secret-value --secret-id <this> --secret-string sk_live_…',
      });
    }
    if (config.carrier === 'easypost') {
      this.carrierApiKey = this.deployerFilled('CarrierApiKey', 'Conveyor: the EasyPost API key, put by the deployer');
      new CfnOutput(scope, 'CarrierApiKeySecretArn', {
        value: this.carrierApiKey.secretArn,
        description: 'Put the EasyPost API key: aws secretsmanager put-secret-value --secret-id <this> --secret-string <key>',
      });
    }
  }

  private deployerFilled(id: string, description: string): secretsmanager.Secret {
    // The placeholder is no secret: it says how to put the real value, which never passes through the template.
    const secret = new secretsmanager.Secret(this, id, { description, secretStringValue: SecretValue.unsafePlainText(UNSET_SECRET_VALUE) });
    this.acknowledgeManualRotation(
      secret,
      'An API key issued by the provider: it is rotated in their dashboard, then put as a new version (a rotation Lambda cannot issue one).',
    );
    return secret;
  }

  private acknowledgeManualRotation(secret: secretsmanager.Secret, reason: string): void {
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason });
  }
}
