import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../lambdas/api/routes.js';
import { SANDBOX_CONFIG } from '../../lib/config.js';
import { ConveyorStack } from '../../lib/conveyor-stack.js';
import { conveyorResources } from './stack-template.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The stack with cdk.json's feature flags, without bundling (fast; the full synth test bundles). */
function synthesize(): Template {
  const { context } = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new ConveyorStack(app, 'Conveyor', { config: SANDBOX_CONFIG }));
}

/** The table stream's consumers: the ledger and the customer profiles. */
const STREAM_CONSUMERS = 2;

describe('ConveyorStack', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesize();
  });

  it('has one on-demand table with PITR, a NEW_AND_OLD_IMAGES stream, TTL, and gsi1–4 (gsi3: orders by status, gsi4: by day)', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'gsi1' }),
        Match.objectLike({
          IndexName: 'gsi3',
          KeySchema: [Match.objectLike({ AttributeName: 'status' }), Match.objectLike({ AttributeName: 'updatedAt' })],
        }),
        Match.objectLike({ IndexName: 'gsi2' }),
        Match.objectLike({
          IndexName: 'gsi4',
          KeySchema: [Match.objectLike({ AttributeName: 'gsi4pk' }), Match.objectLike({ AttributeName: 'gsi4sk' })],
        }),
      ],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('runs every function on Node 24, arm64, with tracing and JSON logs', () => {
    const functions = conveyorResources(template, 'AWS::Lambda::Function');
    // One per route, the $default route's, the authorizer, the workflow's eight, the carrier-event and return-event
    // consumers, the reconciler and the stream's consumers (finance).
    expect(Object.keys(functions)).toHaveLength(allRoutes.length + 1 + 1 + 8 + 2 + 1 + STREAM_CONSUMERS);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: expect.objectContaining({ LogFormat: 'JSON' }),
      });
    }
  });

  it('routes every API route to its function, authenticated unless public', () => {
    for (const route of allRoutes) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: route.scopes === 'public' ? 'NONE' : 'CUSTOM',
      });
    }
  });

  it('sends requests no route matches to a $default route without authorizer, whose function has no table access', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'NONE' });
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('Apidefaultroute'));
    expect(policies).toHaveLength(1);
    for (const [, policy] of policies) expect(JSON.stringify(policy.Properties.PolicyDocument.Statement)).not.toContain('dynamodb:');
  });

  it('runs the authorizer on every request (no identity source, no cache) with simple responses', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: [],
    });
  });

  it('writes access logs from the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('grants read-only routes no write actions on the table', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'));
    const readOnly = policies.filter(
      ([id]) => id.startsWith('Apigetproduct') || id.startsWith('Apigetinventory') || id.startsWith('Apiauthorizer'),
    );
    expect(readOnly.length).toBe(3);
    for (const [, policy] of readOnly) {
      const actions = JSON.stringify(policy.Properties.PolicyDocument.Statement);
      expect(actions).not.toMatch(/dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/);
    }
  });

  it('defines the order workflow from its ASL file with error-only logging without execution data, tracing and every substitution', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR', IncludeExecutionData: false }),
      DefinitionSubstitutions: Match.objectLike({
        ScreenFraudFunctionArn: Match.anyValue(),
        AuthorizePaymentFunctionArn: Match.anyValue(),
        CapturePaymentFunctionArn: Match.anyValue(),
        VoidPaymentFunctionArn: Match.anyValue(),
        BuyLabelFunctionArn: Match.anyValue(),
        CountWorkflowEventFunctionArn: Match.anyValue(),
        TableName: Match.anyValue(),
        SenderEmail: Match.anyValue(),
        ConfigurationSetName: Match.anyValue(),
      }),
    });
  });

  it('lets the workflow update the table, invoke its functions and send email, and nothing more', () => {
    const [, policy] =
      Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('WorkflowOrderWorkflowRole')) ?? [];
    const statements = JSON.stringify(policy?.Properties.PolicyDocument.Statement);
    expect(statements).toContain('dynamodb:UpdateItem');
    expect(statements).toContain('lambda:InvokeFunction');
    expect(statements).toContain('ses:SendEmail');
    expect(statements).not.toMatch(/dynamodb:(Scan|Query|DeleteTable|\*)/);
  });

  it('gives only POST /orders and the reconciler the right to start executions', () => {
    const starters = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, policy]) =>
      JSON.stringify(policy.Properties.PolicyDocument.Statement).includes('states:StartExecution'),
    );
    expect(starters.map(([id]) => id).sort()).toEqual([
      expect.stringMatching(/^Apiplaceorder/),
      expect.stringMatching(/^Recoveryreconcile/),
    ]);
  });

  it('runs the reconciler every five minutes and alarms when it finds stuck orders', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OrdersStuck', Threshold: 1 });
  });

  it('buffers carrier events in an encrypted queue with a DLQ, an alarm on it, and a batch-failure-aware consumer', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 10 },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('uses no AWS managed policies: logs go to each function’s own group', () => {
    for (const [id, role] of Object.entries(conveyorResources(template, 'AWS::IAM::Role')))
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
  });
});
