import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PaymentGatewayName } from '../lambdas/domain/payments.js';
import { ConveyorFunction, type EmailSender } from './function.js';

export interface MessagingProps {
  table: dynamodb.ITable;
  workflow: sfn.IStateMachine;
  /** The SES identity consumers that email customers send from. */
  sender: EmailSender;
  /** The gateway process-return refunds through. */
  paymentGateway: PaymentGatewayName;
}

/** Queues that buffer outside events, each with a DLQ and an alarm on it, and their consumers. */
export class Messaging extends Construct {
  readonly carrierEvents: sqs.Queue;
  readonly carrierEventsDlq: sqs.Queue;
  readonly returnEvents: sqs.Queue;
  readonly returnEventsDlq: sqs.Queue;
  /** The queues' consumers (track-carrier, process-return). */
  readonly consumers: ConveyorFunction[];

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    [this.carrierEvents, this.carrierEventsDlq] = this.bufferedQueue('CarrierEvents', 'Carrier events');
    [this.returnEvents, this.returnEventsDlq] = this.bufferedQueue('ReturnEvents', 'Warehouse return events');

    const trackCarrier = new ConveyorFunction(this, 'track-carrier', {
      handler: 'track-carrier',
      description: 'Applies carrier tracking events to shipments (deduplicated, never backwards)',
    });
    trackCarrier.writesTo(props.table);
    trackCarrier.answersTasksOf(props.workflow);
    trackCarrier.function.addEventSource(
      new SqsEventSource(this.carrierEvents, { batchSize: 10, maxBatchingWindow: Duration.seconds(1), reportBatchItemFailures: true }),
    );

    const processReturn = new ConveyorFunction(this, 'process-return', {
      handler: 'process-return',
      description: 'Applies warehouse return events: receipt, inspection, restock, refund once, email',
    });
    // The sandbox payment gateway keeps its records in the table, so refunding writes there too.
    processReturn.writesTo(props.table);
    processReturn.sendsEmailAs(props.sender);
    processReturn.takesPaymentsThrough(props.paymentGateway);
    processReturn.function.addEventSource(
      new SqsEventSource(this.returnEvents, { batchSize: 10, maxBatchingWindow: Duration.seconds(1), reportBatchItemFailures: true }),
    );
    this.consumers = [trackCarrier, processReturn];
  }

  /**
   * An encrypted, TLS-only queue for outside events with its DLQ and an alarm on the DLQ. Sized for a consumer
   * with the default 10-second timeout.
   */
  private bufferedQueue(id: string, what: string): [sqs.Queue, sqs.Queue] {
    const dlq = new sqs.Queue(this, `${id}Dlq`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the consumer's timeout, as AWS recommends for event source mappings.
      visibilityTimeout: Duration.seconds(60),
      // Ten receives, not AWS's floor of five: a failed invocation returns its whole batch and delivery is at
      // least once, so a sound event can meet five transient failures in a row (the fault drill saw it at 10 %
      // faults); a poison message still reaches the DLQ, ten minutes in.
      deadLetterQueue: { queue: dlq, maxReceiveCount: 10 },
    });
    new cloudwatch.Alarm(this, `${id}DlqAlarm`, {
      alarmDescription: `${what} failed ten times and wait in the DLQ; inspect them, fix, and redrive.`,
      metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return [queue, dlq];
  }
}
