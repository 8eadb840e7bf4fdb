import { Aspects, Aws, CfnOutput, Duration, type IAspect, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import type { ConveyorFunction } from './function.js';

export interface ObservabilityProps {
  /** Who is paged: an email subscription to the alarm topic (none when unset; subscribe a pager by hand). */
  alarmEmail?: string;
}

/** What the alarms and the dashboard watch, known once every capability is built. */
export interface MonitoredParts {
  workflow: sfn.StateMachine;
  httpApi: apigwv2.IHttpApi;
  /** Every Conveyor function, each alarmed on its errors and throttles. */
  functions: ConveyorFunction[];
  /** Functions whose errors another alarm already reports (the stream consumers): alarmed on throttles only. */
  errorsAlarmedElsewhere: ConveyorFunction[];
  /** The queues worth a line on the dashboard, by name. */
  queues: Record<string, sqs.IQueue>;
}

/** API p99 latency above which the API latency alarm fires. */
export const API_P99_LATENCY_ALARM_MS = 3000;

const conveyorMetric = (metricName: string, statistic = 'Sum', period = Duration.minutes(5), dimensionsMap = {}) =>
  new cloudwatch.Metric({ namespace: 'Conveyor', metricName, dimensionsMap: { service: 'conveyor', ...dimensionsMap }, statistic, period });

/**
 * Monitoring that pages someone: an encrypted, TLS-only SNS topic every alarm of the stack notifies (alarm and OK),
 * the alarms no other construct owns, the SES configuration set whose bounces and complaints are counted, and the
 * operations dashboard. Alarms are found by an aspect, so one added anywhere later is wired too.
 */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly emailEventsTopic: sns.Topic;
  readonly configurationSet: ses.ConfigurationSet;
  /** The configuration set's name as a plain string (its Ref would be a token the local cloud cannot resolve). */
  readonly configurationSetName: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps = {}) {
    super(scope, id);
    // A key of our own: CloudWatch and SES cannot publish to a topic under the AWS managed aws/sns key.
    const key = new kms.Key(this, 'TopicKey', { description: 'Encrypts Conveyor alarm and email-event topics', enableKeyRotation: true });
    for (const service of ['cloudwatch.amazonaws.com', 'ses.amazonaws.com']) {
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          principals: [new iam.ServicePrincipal(service)],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
    }
    this.alarmTopic = this.topic('Alarms', 'Conveyor alarms', key, 'cloudwatch.amazonaws.com');
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.emailEventsTopic = this.topic('EmailEvents', 'Conveyor email bounces and complaints', key, 'ses.amazonaws.com');

    // A name, not a Ref: senders (and the local cloud, which has no SES configuration sets) know it at synth.
    this.configurationSetName = `${Stack.of(this).stackName}-customer-email`;
    this.configurationSet = new ses.ConfigurationSet(this, 'EmailConfigurationSet', {
      configurationSetName: this.configurationSetName,
      reputationMetrics: true,
      sendingEnabled: true,
    });
    this.configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: ses.EventDestination.snsTopic(this.emailEventsTopic),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
    });

    Aspects.of(Stack.of(this)).add(new NotifyOnEveryAlarm(new SnsAction(this.alarmTopic)));
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Subscribe whoever is on call' });
  }

  /** The ARN the SES v2 SendEmail of a sender using the configuration set must be allowed on. */
  get configurationSetArn(): string {
    return Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSetName,
    });
  }

  /** The alarms of parts no other construct watches, and the dashboard. */
  monitor(parts: MonitoredParts): void {
    this.workflowAlarms(parts.workflow);
    this.apiAlarms(parts.httpApi);
    this.functionAlarms(parts.functions, parts.errorsAlarmedElsewhere);
    this.alarm('EmailsFailedAlarm', {
      alarmDescription:
        'An order, return or inquiry email could not be sent (SES refused it or was unreachable); the order went on. ' +
        'See docs/runbook.md#emailsfailed.',
      metric: conveyorMetric('EmailsFailed'),
    });
    this.alarm('EmailBouncesAndComplaintsAlarm', {
      alarmDescription:
        'SES reported a bounce or a complaint for a Conveyor email; too many suspend the account. See docs/runbook.md#email-bounces-and-complaints.',
      metric: this.emailEventsTopic.metricNumberOfMessagesPublished({ period: Duration.minutes(5) }),
    });
    new OperationsDashboard(this, 'Dashboard', parts);
  }

  private topic(id: string, displayName: string, key: kms.IKey, publisher: string): sns.Topic {
    const topic = new sns.Topic(this, id, { displayName, masterKey: key, enforceSSL: true });
    // enforceSSL writes a topic policy, which replaces the default one: name the publishing service explicitly.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal(publisher)],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    return topic;
  }

  private workflowAlarms(workflow: sfn.StateMachine): void {
    this.alarm('WorkflowExecutionsFailedAlarm', {
      alarmDescription:
        'An order workflow run failed; the reconciler redrives it within five minutes (five times at most). See docs/runbook.md#workflow-executions-failed.',
      metric: workflow.metricFailed({ period: Duration.minutes(5) }),
    });
    this.alarm('WorkflowExecutionsTimedOutAlarm', {
      alarmDescription: 'An order workflow run timed out. See docs/runbook.md#workflow-executions-timed-out.',
      metric: workflow.metricTimedOut({ period: Duration.minutes(5) }),
    });
  }

  private apiAlarms(httpApi: apigwv2.IHttpApi): void {
    this.alarm('Api5xxAlarm', {
      alarmDescription: 'The HTTP API answered 5xx; storefronts retry, but something is broken. See docs/runbook.md#api-5xx.',
      metric: httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
    });
    this.alarm('ApiLatencyAlarm', {
      alarmDescription: `The HTTP API's p99 latency stayed above ${API_P99_LATENCY_ALARM_MS} ms for 15 minutes. See docs/runbook.md#api-latency.`,
      metric: httpApi.metricLatency({ period: Duration.minutes(5), statistic: 'p99' }),
      threshold: API_P99_LATENCY_ALARM_MS,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  }

  /**
   * One alarm per function on errors + throttles (metric math over its two metrics). Per function rather than one
   * sum across all: a math alarm takes ten metrics at most (there are forty functions), and the page should name
   * the function whose log to open. About forty alarms cost a few dollars a month.
   */
  private functionAlarms(functions: ConveyorFunction[], errorsAlarmedElsewhere: ConveyorFunction[]): void {
    for (const fn of functions) {
      const name = fn.node.id;
      const throttles = fn.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' });
      const errorsToo = !errorsAlarmedElsewhere.includes(fn);
      this.alarm(`${name}ErrorsAlarm`, {
        alarmDescription:
          `${name} ${errorsToo ? 'failed (an unhandled error or a timeout) or ' : ''}was throttled. ` +
          `Read its log (/aws/lambda/… of ${name}; locally .local/logs/${name}.log). See docs/runbook.md#function-errors-and-throttles.`,
        metric: errorsToo
          ? new cloudwatch.MathExpression({
              expression: 'errors + throttles',
              usingMetrics: { errors: fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), throttles },
              label: `${name} errors and throttles`,
              period: Duration.minutes(5),
            })
          : throttles,
      });
    }
  }

  /** A count alarm: at or above the threshold (1 unless said) in one period, silence is fine. */
  private alarm(
    id: string,
    props: Omit<cloudwatch.AlarmProps, 'threshold' | 'evaluationPeriods'> & { threshold?: number; evaluationPeriods?: number },
  ) {
    return new cloudwatch.Alarm(this, id, {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
  }
}

/** Adds the alarm topic as alarm and OK action to every CloudWatch alarm in the stack. */
class NotifyOnEveryAlarm implements IAspect {
  constructor(private readonly action: cloudwatch.IAlarmAction) {}

  visit(node: IConstruct): void {
    if (!(node instanceof cloudwatch.Alarm)) return;
    node.addAlarmAction(this.action);
    node.addOkAction(this.action);
  }
}

/** The operations dashboard: the order funnel, each stage's latency, the queues, the API. */
class OperationsDashboard extends Construct {
  constructor(scope: Construct, id: string, parts: MonitoredParts) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);
    const byHandler = (handler: string) => parts.functions.find((fn) => fn.node.id === handler);
    const p99Duration = (handler: string) =>
      byHandler(handler)?.function.metricDuration({ statistic: 'p99', period: fiveMinutes, label: `${handler} p99` });
    const present = <T>(items: (T | undefined)[]) => items.filter((item): item is T => item !== undefined);

    new cloudwatch.Dashboard(this, 'Operations', {
      defaultInterval: Duration.hours(24),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Order funnel: placed → confirmed → shipped (labels bought) → delivered',
            width: 12,
            left: [
              conveyorMetric('OrdersPlaced', 'Sum', fiveMinutes),
              conveyorMetric('OrdersConfirmed', 'Sum', fiveMinutes),
              conveyorMetric('LabelsBought', 'Sum', fiveMinutes).with({ label: 'Shipped (labels bought)' }),
              conveyorMetric('OrdersDelivered', 'Sum', fiveMinutes),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Orders rejected and cancelled, by reason',
            width: 12,
            // Every Reason the functions emit, without a list here to keep up to date.
            left: ['OrdersRejected', 'OrdersCancelled'].map(
              (name) =>
                new cloudwatch.SearchExpression({
                  expression: `SEARCH('{Conveyor,Reason,service} MetricName="${name}"', 'Sum', 300)`,
                  label: name,
                  period: fiveMinutes,
                }),
            ),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Workflow runs: duration (p50, p99) and outcomes',
            width: 12,
            left: [
              parts.workflow.metricTime({ statistic: 'p50', period: fiveMinutes, label: 'ExecutionTime p50' }),
              parts.workflow.metricTime({ statistic: 'p99', period: fiveMinutes, label: 'ExecutionTime p99' }),
            ],
            right: [
              parts.workflow.metricSucceeded({ period: fiveMinutes }),
              parts.workflow.metricFailed({ period: fiveMinutes }),
              parts.workflow.metricTimedOut({ period: fiveMinutes }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Stage latency: key functions, p99 duration',
            width: 12,
            left: present(
              ['place-order', 'screen-fraud', 'authorize-payment', 'capture-payment', 'buy-label', 'track-carrier', 'process-return'].map(
                p99Duration,
              ),
            ),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Queues: messages visible',
            width: 12,
            left: Object.entries(parts.queues).map(([name, queue]) =>
              queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', label: name }),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: 'HTTP API: 5xx, 4xx and p99 latency',
            width: 12,
            left: [parts.httpApi.metricServerError({ period: fiveMinutes }), parts.httpApi.metricClientError({ period: fiveMinutes })],
            right: [
              parts.httpApi.metricLatency({ statistic: 'p99', period: fiveMinutes }),
              parts.httpApi.metricIntegrationLatency({ statistic: 'p99', period: fiveMinutes }),
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Trouble: stuck orders, overdue picks, failed emails, carrier exceptions',
            width: 24,
            left: ['OrdersStuck', 'PickTasksOverdue', 'EmailsFailed', 'CarrierExceptions', 'PaymentDeclined'].map((name) =>
              conveyorMetric(name, name === 'OrdersStuck' ? 'Maximum' : 'Sum', fiveMinutes),
            ),
          }),
        ],
      ],
    });
  }
}
