import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PaymentGatewayName } from '../lambdas/domain/payments.js';
import type { Carrier } from './config.js';
import { ConveyorFunction } from './function.js';

const ASL_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'statemachines', 'order-workflow.asl.json');

export interface WorkflowProps {
  table: dynamodb.ITable;
  /** The address order emails come from (a verified SES identity in AWS). */
  senderEmail: string;
  senderIdentityArn: string;
  paymentGateway: PaymentGatewayName;
  carrier: Carrier;
  /** With carrier=easypost: the EasyPost address id labels ship from. */
  carrierFromAddressId?: string;
  /** The SES configuration set the workflow's emails go through (bounces and complaints counted). */
  configurationSet: { name: string; arn: string };
}

/** The per-order Step Functions workflow (statemachines/order-workflow.asl.json) and the functions it calls. */
export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: ConveyorFunction[];

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    // Construct id = the function's folder under lambdas/ (ids are logical ids: keep them stable).
    const workflowFunction = (handler: string, description: string, timeout?: Duration) =>
      new ConveyorFunction(this, handler, { handler, description, timeout });
    const screenFraud = workflowFunction('screen-fraud', 'Scores an order for fraud');
    const authorize = workflowFunction('authorize-payment', 'Authorizes the order payment');
    const capture = workflowFunction('capture-payment', 'Captures the authorized payment');
    const voidPayment = workflowFunction('void-payment', 'Voids open authorizations (compensation)');
    // A real carrier takes up to three calls of 4 s each (shipment, rates, buy): more than the default 10 s.
    const buyLabel = workflowFunction('buy-label', "Buys the shipping label for the order's option", Duration.seconds(30));
    const checkReservation = workflowFunction('check-reservation', 'Says why a stock transaction of the workflow was cancelled');
    const refundPayment = workflowFunction('refund-payment', 'Refunds a capture, once per reason');
    const countEvent = workflowFunction(
      'count-workflow-event',
      'Counts what the workflow meets and goes on from (failed emails, overdue picks)',
    );
    this.functions = [screenFraud, authorize, capture, voidPayment, buyLabel, checkReservation, refundPayment, countEvent];
    screenFraud.readsFrom(props.table);
    checkReservation.readsFrom(props.table);
    // The sandbox gateway keeps its records in the table, so the payment functions write.
    for (const writer of [authorize, capture, voidPayment, buyLabel, refundPayment]) writer.writesTo(props.table);
    for (const payer of [authorize, capture, voidPayment, refundPayment]) payer.takesPaymentsThrough(props.paymentGateway);
    buyLabel.worksWithCarrier(props.carrier, props.carrierFromAddressId);

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'OrderWorkflow', {
      definitionBody: sfn.DefinitionBody.fromFile(ASL_FILE),
      definitionSubstitutions: {
        ScreenFraudFunctionArn: screenFraud.functionArn,
        AuthorizePaymentFunctionArn: authorize.functionArn,
        CapturePaymentFunctionArn: capture.functionArn,
        VoidPaymentFunctionArn: voidPayment.functionArn,
        BuyLabelFunctionArn: buyLabel.functionArn,
        CheckReservationFunctionArn: checkReservation.functionArn,
        RefundPaymentFunctionArn: refundPayment.functionArn,
        CountWorkflowEventFunctionArn: countEvent.functionArn,
        TableName: props.table.tableName,
        SenderEmail: props.senderEmail,
        ConfigurationSetName: props.configurationSet.name,
      },
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      // Errors only, without inputs and outputs: execution data holds the customer's name, address and email.
      logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'Logs ERROR without execution data on purpose: ALL with data would copy customers’ names, addresses and emails into the log. Each run’s history stays in Step Functions (GET /ops/orders/{id}/execution).',
    });
    for (const fn of this.functions) fn.function.grantInvoke(this.stateMachine);
    this.alarmOnOverduePicks();
    // Direct integrations: order status updates, the reservation transaction and its release.
    props.table.grant(this.stateMachine, 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem');
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ses:SendEmail'], resources: [props.senderIdentityArn, props.configurationSet.arn] }),
    );

    const functionLogicalIds = this.functions.map((fn) => Stack.of(this).getLogicalId(fn.function.node.defaultChild as lambda.CfnFunction));
    for (const logicalId of functionLogicalIds) {
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on the function and its versions, as CDK grants it; no other function.',
      });
    }
    Validations.of(this.stateMachine).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.table.node.defaultChild as CfnElement)}.Arn>/index/*]`,
      reason: "CDK's table grant names the table's indexes too; the workflow writes to the base table only.",
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray and CloudWatch Logs delivery actions for Step Functions support no resource-level permissions.',
    });
  }

  /**
   * An order not packed in two days enters MarkPickOverdue, then CountPickOverdue, whose function emits
   * PickTasksOverdue (EMF): the execution log keeps errors only, so no log line can be counted any more.
   */
  private alarmOnOverduePicks(): void {
    new cloudwatch.Alarm(this, 'PickTasksOverdueAlarm', {
      alarmDescription: 'An order has waited two days for packing; see GET /fulfillment/tasks (overdue: true).',
      metric: new cloudwatch.Metric({
        namespace: 'Conveyor',
        metricName: 'PickTasksOverdue',
        dimensionsMap: { service: 'conveyor' },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
