import { Annotations, CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AlarmNotifications } from './alarm-notifications.js';
import { Api } from './api.js';
import type { ConveyorConfig } from './config.js';
import { Data } from './data.js';
import { Email } from './email.js';
import { Finance } from './finance.js';
import { Messaging } from './messaging.js';
import { Recovery } from './recovery.js';
import { ConveyorSecrets } from './secrets.js';
import { Workflow } from './workflow.js';

export interface ConveyorStackProps extends StackProps {
  /** The deploy's choices (lib/config.ts); bin/conveyor.ts reads them from CDK context. */
  config: ConveyorConfig;
}

/** Says on the stack, its resources and its outputs that no money moves, so nobody takes real orders on it. */
export const SANDBOX_PAYMENTS_WARNING = 'sandbox: NOT FOR REAL ORDERS, no card is charged';

/** Conveyor, composed from one construct per capability. Env-agnostic: no lookups. */
export class ConveyorStack extends Stack {
  readonly secrets: ConveyorSecrets;
  readonly data: Data;
  readonly email: Email;
  readonly workflow: Workflow;
  readonly messaging: Messaging;
  readonly api: Api;
  readonly recovery: Recovery;
  readonly finance: Finance;

  constructor(scope: Construct, id: string, props: ConveyorStackProps) {
    super(scope, id, props);
    const { config } = props;
    // First: the functions of every construct below find their secrets in it (ConveyorSecrets.of).
    this.secrets = new ConveyorSecrets(this, config);
    this.data = new Data(this, 'Data');
    this.email = new Email(this, 'Email', { senderEmail: config.senderEmail });
    this.workflow = new Workflow(this, 'Workflow', {
      table: this.data.table,
      senderEmail: this.email.senderEmail,
      senderIdentityArn: this.email.identityArn,
      paymentGateway: config.paymentGateway,
      carrier: config.carrier,
    });
    this.recovery = new Recovery(this, 'Recovery', { table: this.data.table, workflow: this.workflow.stateMachine });
    const sender = { senderEmail: this.email.senderEmail, identityArn: this.email.identityArn };
    this.messaging = new Messaging(this, 'Messaging', {
      table: this.data.table,
      workflow: this.workflow.stateMachine,
      sender,
      paymentGateway: config.paymentGateway,
    });
    this.finance = new Finance(this, 'Finance', { table: this.data.table });
    this.api = new Api(this, 'Api', {
      table: this.data.table,
      workflow: this.workflow.stateMachine,
      carrierEvents: this.messaging.carrierEvents,
      returnEvents: this.messaging.returnEvents,
      ledgerBucket: this.finance.ledgerBucket,
      sender,
      paymentGateway: config.paymentGateway,
      carrier: config.carrier,
    });
    if (config.alarmEmail) new AlarmNotifications(this, 'AlarmNotifications', { email: config.alarmEmail });
    this.announcePaymentGateway(config.paymentGateway);
  }

  private announcePaymentGateway(gateway: ConveyorConfig['paymentGateway']): void {
    const sandbox = gateway === 'sandbox';
    new CfnOutput(this, 'PaymentGateway', {
      value: sandbox ? SANDBOX_PAYMENTS_WARNING : gateway,
      description: 'Who charges cards (GET /health says it too)',
    });
    Tags.of(this).add('conveyor:payment-gateway', sandbox ? 'sandbox - NOT FOR REAL ORDERS' : gateway);
    if (sandbox) {
      Annotations.of(this).addWarningV2(
        'conveyor:sandbox-payments',
        'paymentGateway=sandbox: this stack charges no card. Deploy with -c paymentGateway=stripe to take real orders.',
      );
    }
  }
}
