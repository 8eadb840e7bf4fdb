import { Annotations, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './api.js';
import { Data } from './data.js';
import { Email } from './email.js';
import { Finance } from './finance.js';
import { Messaging } from './messaging.js';
import { Recovery } from './recovery.js';
import { Workflow } from './workflow.js';

/** Conveyor, composed from one construct per capability. Env-agnostic: no lookups. */
export class ConveyorStack extends Stack {
  readonly data: Data;
  readonly email: Email;
  readonly workflow: Workflow;
  readonly messaging: Messaging;
  readonly api: Api;
  readonly recovery: Recovery;
  readonly finance: Finance;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.data = new Data(this, 'Data');
    this.email = new Email(this, 'Email', { senderEmail: this.node.tryGetContext('senderEmail') ?? 'orders@conveyor.example' });
    this.workflow = new Workflow(this, 'Workflow', {
      table: this.data.table,
      senderEmail: this.email.senderEmail,
      senderIdentityArn: this.email.identityArn,
    });
    this.recovery = new Recovery(this, 'Recovery', { table: this.data.table, workflow: this.workflow.stateMachine });
    const sender = { senderEmail: this.email.senderEmail, identityArn: this.email.identityArn };
    this.messaging = new Messaging(this, 'Messaging', { table: this.data.table, workflow: this.workflow.stateMachine, sender });
    this.finance = new Finance(this, 'Finance', { table: this.data.table });
    const carrierWebhookSecret: string | undefined = this.node.tryGetContext('carrierWebhookSecret');
    if (!carrierWebhookSecret) {
      Annotations.of(this).addWarningV2(
        'conveyor:carrier-webhook-secret',
        'carrierWebhookSecret is not set: the development secret is used. Deploy with -c carrierWebhookSecret=<secret shared with your carrier>.',
      );
    }
    this.api = new Api(this, 'Api', {
      table: this.data.table,
      workflow: this.workflow.stateMachine,
      carrierEvents: this.messaging.carrierEvents,
      returnEvents: this.messaging.returnEvents,
      ledgerBucket: this.finance.ledgerBucket,
      sender,
      // Deploys pass their own: cdk deploy -c carrierWebhookSecret=… (the local cloud's is in endpoints.json).
      carrierWebhookSecret: carrierWebhookSecret ?? 'local-carrier-secret',
    });
  }
}
