import { Annotations, CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './api.js';
import type { ConveyorConfig } from './config.js';
import { Console } from './console.js';
import { Data } from './data.js';
import { Email } from './email.js';
import { Finance } from './finance.js';
import { Messaging } from './messaging.js';
import { Observability } from './observability.js';
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
  readonly observability: Observability;
  readonly console: Console;

  constructor(scope: Construct, id: string, props: ConveyorStackProps) {
    super(scope, id, props);
    const { config } = props;
    // First: the functions of every construct below find their secrets in it (ConveyorSecrets.of).
    this.secrets = new ConveyorSecrets(this, config);
    this.data = new Data(this, 'Data');
    this.email = new Email(this, 'Email', { senderEmail: config.senderEmail });
    // Built early: its configuration set is every sender's; its alarms come once everything else is built.
    this.observability = new Observability(this, 'Observability', { alarmEmail: config.alarmEmail });
    const configurationSet = {
      name: this.observability.configurationSetName,
      arn: this.observability.configurationSetArn,
    };
    this.workflow = new Workflow(this, 'Workflow', {
      table: this.data.table,
      senderEmail: this.email.senderEmail,
      senderIdentityArn: this.email.identityArn,
      paymentGateway: config.paymentGateway,
      carrier: config.carrier,
      carrierFromAddressId: config.carrierFromAddressId,
      configurationSet,
    });
    this.recovery = new Recovery(this, 'Recovery', { table: this.data.table, workflow: this.workflow.stateMachine });
    const sender = { senderEmail: this.email.senderEmail, identityArn: this.email.identityArn, configurationSet };
    this.messaging = new Messaging(this, 'Messaging', {
      table: this.data.table,
      workflow: this.workflow.stateMachine,
      sender,
      paymentGateway: config.paymentGateway,
    });
    this.finance = new Finance(this, 'Finance', { table: this.data.table });
    // Before the API, whose CORS admits the console's origin; published once the API's URL exists.
    this.console = new Console(this, 'Console');
    this.api = new Api(this, 'Api', {
      table: this.data.table,
      workflow: this.workflow.stateMachine,
      carrierEvents: this.messaging.carrierEvents,
      returnEvents: this.messaging.returnEvents,
      queues: {
        carrierEvents: this.messaging.carrierEvents,
        carrierEventsDlq: this.messaging.carrierEventsDlq,
        returnEvents: this.messaging.returnEvents,
        returnEventsDlq: this.messaging.returnEventsDlq,
        streamFailures: this.finance.streamFailures,
      },
      ledgerBucket: this.finance.ledgerBucket,
      sender,
      paymentGateway: config.paymentGateway,
      carrier: config.carrier,
      allowedOrigins: [this.console.origin],
    });
    this.console.publish(this.api.httpApi.apiEndpoint);
    this.announcePaymentGateway(config.paymentGateway);
    this.observability.monitor({
      workflow: this.workflow.stateMachine,
      httpApi: this.api.httpApi,
      functions: [
        ...this.api.functions,
        ...this.workflow.functions,
        ...this.messaging.consumers,
        this.recovery.reconciler,
        ...this.finance.consumers,
      ],
      errorsAlarmedElsewhere: this.finance.consumers,
      queues: {
        CarrierEvents: this.messaging.carrierEvents,
        CarrierEventsDlq: this.messaging.carrierEventsDlq,
        ReturnEvents: this.messaging.returnEvents,
        ReturnEventsDlq: this.messaging.returnEventsDlq,
        StreamFailures: this.finance.streamFailures,
      },
    });
    this.outputs();
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

  /** What an operator (and npm run reconcile --table …) needs to find the stack's parts. */
  private outputs(): void {
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('TableName', this.data.table.tableName, 'The single table (orders, stock, pick tasks, …)');
    output('StateMachineArn', this.workflow.stateMachine.stateMachineArn, 'The order workflow (one execution per order)');
    output('CarrierEventsQueueUrl', this.messaging.carrierEvents.queueUrl, 'Carrier events, consumed by track-carrier');
    output('CarrierEventsDlqUrl', this.messaging.carrierEventsDlq.queueUrl, 'Carrier events that failed ten times');
    output('ReturnEventsQueueUrl', this.messaging.returnEvents.queueUrl, 'Warehouse return events, consumed by process-return');
    output('ReturnEventsDlqUrl', this.messaging.returnEventsDlq.queueUrl, 'Return events that failed ten times');
    output('StreamFailuresQueueUrl', this.finance.streamFailures.queueUrl, 'Stream records the ledger or profile consumer gave up on');
    output('LedgerBucketName', this.finance.ledgerBucket.bucketName, 'The finance ledger (JSON lines under ledger/)');
    output('ConsoleUrl', this.console.origin, "Conveyor's ops and warehouse console (sign in with an ops or warehouse API key)");
  }
}
