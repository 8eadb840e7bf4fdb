import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../lambdas/api/routes.js';
import { Observability } from '../../lib/observability.js';
import { actions, conveyorResources, type Statement, synthesizedStack } from './stack-template.js';

type Synthesized = ReturnType<typeof synthesizedStack>;
type Resource = { Type: string; Properties: Record<string, unknown> };

describe('Monitoring that pages someone', () => {
  let stack: Synthesized;
  let resources: Record<string, Resource>;
  beforeAll(() => {
    stack = synthesizedStack();
    resources = stack.template.toJSON().Resources;
  });

  const alarms = () => Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm');
  const alarmTopic = () => ({ Ref: stack.logicalId(stack.stack.observability.alarmTopic) });
  const alarmOn = (metricName: string) =>
    alarms().filter(([, alarm]) => JSON.stringify(alarm.Properties).includes(`"MetricName":"${metricName}"`));

  it('sends every alarm of the stack, and its return to OK, to the alarm topic', () => {
    expect(alarms().length).toBeGreaterThan(40);
    for (const [id, alarm] of alarms()) {
      expect(alarm.Properties.AlarmActions, id).toEqual([alarmTopic()]);
      expect(alarm.Properties.OKActions, id).toEqual([alarmTopic()]);
    }
  });

  it('encrypts the alarm topic with a rotated key CloudWatch may use, and refuses publishing without TLS', () => {
    const topic = resources[alarmTopic().Ref];
    expect(topic?.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ObservabilityTopicKey/), 'Arn'] });
    stack.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Principal: { Service: Match.arrayWith(['cloudwatch.amazonaws.com', 'ses.amazonaws.com']) },
          }),
        ]),
      },
    });
    stack.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [alarmTopic()],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('subscribes no one by default (alarmEmail unset)', () => {
    stack.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes alarmEmail when given, and wires an alarm added anywhere later', () => {
    // Arrange: the construct on its own, and an alarm built after it in another construct
    const bare = new Stack(new App(), 'Bare');
    new Observability(bare, 'Observability', { alarmEmail: 'oncall@shop.example' });
    new cloudwatch.Alarm(bare, 'LateAlarm', {
      metric: new cloudwatch.Metric({ namespace: 'Conveyor', metricName: 'Anything', period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
    });

    // Act
    const template = Template.fromStack(bare);

    // Assert
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@shop.example' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Anything',
      AlarmActions: [Match.objectLike({ Ref: Match.anyValue() })],
    });
  });

  it('alarms on failed and timed-out workflow runs, API 5xx and p99 latency, failed emails and SES bounces/complaints', () => {
    expect(alarmOn('ExecutionsFailed')).toHaveLength(1);
    expect(alarmOn('ExecutionsTimedOut')).toHaveLength(1);
    expect(alarmOn('5xx')).toHaveLength(1);
    stack.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Latency', ExtendedStatistic: 'p99' });
    stack.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Conveyor',
      MetricName: 'EmailsFailed',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    stack.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfMessagesPublished',
      Dimensions: [
        { Name: 'TopicName', Value: { 'Fn::GetAtt': [stack.logicalId(stack.stack.observability.emailEventsTopic), 'TopicName'] } },
      ],
    });
  });

  it('keeps the overdue-pick alarm on a metric the workflow emits itself (its log holds errors only)', () => {
    stack.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Conveyor', MetricName: 'PickTasksOverdue', Threshold: 1 });
    stack.template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });

  it('alarms on every function’s errors and throttles, by name', () => {
    const functions = Object.entries(conveyorResources(stack.template, 'AWS::Lambda::Function'));
    for (const [id] of functions) {
      const watching = alarms().filter(([, alarm]) => {
        const text = JSON.stringify(alarm.Properties);
        return text.includes(`{"Ref":"${id}"}`) && text.includes('"MetricName":"Throttles"');
      });
      expect(watching, id).toHaveLength(1);
    }
  });

  it('has a dashboard with the order funnel, workflow time, queues and the API', () => {
    const [dashboard] = Object.values(stack.template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const part of [
      'OrdersPlaced',
      'OrdersConfirmed',
      'OrdersDelivered',
      'OrdersRejected',
      'ExecutionTime',
      'ApproximateNumberOfMessagesVisible',
      '5xx',
    ])
      expect(body).toContain(part);
  });

  it('counts SES bounces and complaints through a configuration set the workflow and the mailer send with', () => {
    stack.template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({ Enabled: true, MatchingEventTypes: ['bounce', 'complaint'], SnsDestination: Match.anyValue() }),
    });
    const configurationSet = 'Conveyor-customer-email';
    stack.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionSubstitutions: Match.objectLike({ ConfigurationSetName: configurationSet }),
    });
    for (const handler of ['process-return', 'request-return', 'reply-to-inquiry']) {
      const fn = resources[stack.functionOf(handler)];
      expect(JSON.stringify(fn?.Properties.Environment), handler).toContain(JSON.stringify(configurationSet));
    }
  });

  it('outputs the table, the state machine, the queues and DLQs, the ledger bucket and the console URL', () => {
    const outputs = Object.keys(stack.template.toJSON().Outputs);
    for (const name of [
      'TableName',
      'StateMachineArn',
      'CarrierEventsQueueUrl',
      'CarrierEventsDlqUrl',
      'ReturnEventsQueueUrl',
      'ReturnEventsDlqUrl',
      'StreamFailuresQueueUrl',
      'LedgerBucketName',
      'ConsoleUrl',
    ])
      expect(outputs).toContain(name);
  });

  it('never lets the Logger log an invocation’s event (bodies, keys)', () => {
    for (const fn of Object.values(conveyorResources(stack.template, 'AWS::Lambda::Function')))
      expect(fn.Properties.Environment.Variables.POWERTOOLS_LOGGER_LOG_EVENT).toBe('false');
  });

  it('logs API access in the HTTP API’s own variables', () => {
    const [stage] = Object.values(stack.template.findResources('AWS::ApiGatewayV2::Stage'));
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format as string);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationErrorMessage: '$context.integrationErrorMessage',
    });
    expect(stage?.Properties.AccessLogSettings.Format).not.toMatch(/\$context\.(identity|path|requestBody)/);
  });
});

/** The actions each family of functions may hold, beyond logs and X-Ray; anything else fails the test. */
const STATES_ACTIONS_BY_FAMILY: Record<string, string[]> = {
  'workflow read route': ['states:DescribeExecution', 'states:GetExecutionHistory'],
  // ListExecutions is granted on the state machine itself (test/cdk/ops-reads.test.ts checks the resource).
  'workflow list route': ['states:ListExecutions'],
  'workflow redrive route': ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:RedriveExecution'],
  'workflow start route': ['states:StartExecution'],
  'workflow answer route': ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'],
  reconciler: [
    'states:DescribeExecution',
    'states:GetExecutionHistory',
    'states:ListExecutions',
    'states:RedriveExecution',
    'states:StartExecution',
  ],
};

describe('Least privilege, per function', () => {
  let stack: Synthesized;
  beforeAll(() => {
    stack = synthesizedStack();
  });

  const functionIds = () => Object.keys(conveyorResources(stack.template, 'AWS::Lambda::Function'));
  const statesActions = (statements: Statement[]) =>
    [...new Set(actions(statements).filter((action) => action.startsWith('states:')))].sort();

  // Neither supports resource-level permissions; ListStreams is CDK's grant to a stream's event source mapping.
  const ALLOWED_ON_ANY_RESOURCE = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'dynamodb:ListStreams']);

  it('grants no function anything on `*` but X-Ray’s tracing actions (and a stream consumer ListStreams)', () => {
    for (const id of functionIds()) {
      for (const statement of stack
        .statementsOf(id)
        .filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'))))
        expect(
          [statement.Action].flat().every((action) => ALLOWED_ON_ANY_RESOURCE.has(action)),
          `${id}: ${JSON.stringify(statement)}`,
        ).toBe(true);
    }
  });

  it('grants no function states:*Describe* on `*` (no DescribeStateMachine, DescribeActivity, ListActivities)', () => {
    for (const id of functionIds()) {
      const all = actions(stack.statementsOf(id));
      expect(
        all.filter((action) => /^states:(Describe(StateMachine|Activity)|ListActivities)/.test(action)),
        id,
      ).toEqual([]);
    }
  });

  it('gives each family of workflow routes exactly its Step Functions actions, on the order workflow’s executions', () => {
    for (const route of allRoutes.filter((route) => route.workflow)) {
      const statements = stack.statementsOf(stack.functionOf(route.handler));
      expect(statesActions(statements), route.handler).toEqual(STATES_ACTIONS_BY_FAMILY[`workflow ${route.workflow} route`]);
      for (const statement of statements.filter((s) => [s.Action].flat().some((a) => /^states:(Describe|GetExecution)/.test(a))))
        expect(JSON.stringify(statement.Resource), route.handler).toContain(':execution:');
    }
    expect(statesActions(stack.statementsOf(stack.functionOf('reconcile-orders')))).toEqual(STATES_ACTIONS_BY_FAMILY.reconciler);
  });

  it('gives functions outside the workflow’s families no Step Functions action at all', () => {
    const withWorkflow = new Set([
      ...allRoutes.filter((route) => route.workflow).map((route) => stack.functionOf(route.handler)),
      stack.functionOf('reconcile-orders'),
      stack.functionOf('track-carrier'),
    ]);
    for (const id of functionIds().filter((id) => !withWorkflow.has(id))) expect(statesActions(stack.statementsOf(id)), id).toEqual([]);
  });

  it('lets the email senders send through the sender identity and the configuration set only', () => {
    for (const handler of ['process-return', 'request-return']) {
      const [send] = stack.statementsOf(stack.functionOf(handler)).filter((s) => actions([s]).includes('ses:SendEmail'));
      expect(send?.Resource, handler).toHaveLength(2);
      expect(JSON.stringify(send?.Resource), handler).toContain('configuration-set');
    }
  });
});
