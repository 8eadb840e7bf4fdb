import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ConveyorFunction } from './function.js';

export interface RecoveryProps {
  table: dynamodb.ITable;
  workflow: sfn.IStateMachine;
}

/**
 * The reconciler: every five minutes it starts order workflows that never started, redrives failed
 * ones, and counts what it cannot repair (OrdersStuck), which raises an alarm.
 */
export class Recovery extends Construct {
  readonly reconciler: ConveyorFunction;

  constructor(scope: Construct, id: string, props: RecoveryProps) {
    super(scope, id);
    this.reconciler = new ConveyorFunction(this, 'reconcile-orders', {
      handler: 'reconcile-orders',
      description: 'Repairs orders a crash or a bug stranded: starts, redrives, or reports them stuck',
      timeout: Duration.minutes(2),
    });
    this.reconciler.readsFrom(props.table);
    this.reconciler.startsExecutionsOf(props.workflow);
    this.reconciler.redrivesExecutionsOf(props.workflow);
    // Lists runs by status (failed ones to redrive); describing them comes with redrivesExecutionsOf.
    props.workflow.grant(this.reconciler.function, 'states:ListExecutions');

    new events.Rule(this, 'Schedule', {
      description: 'Runs the order reconciler',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.reconciler.function, { retryAttempts: 2 })],
    });

    new cloudwatch.Alarm(this, 'OrdersStuckAlarm', {
      alarmDescription: 'The reconciler found orders it cannot repair; see its log (Orders stuck) and GET /ops/orders/{id}/execution.',
      metric: new cloudwatch.Metric({
        namespace: 'Conveyor',
        metricName: 'OrdersStuck',
        dimensionsMap: { service: 'conveyor' },
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
