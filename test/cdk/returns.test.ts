import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CONFIG } from '../../lib/config.js';
import { ConveyorStack } from '../../lib/conveyor-stack.js';

const root = path.resolve(import.meta.dirname, '../..');

type Resource = { Type: string; Properties: Record<string, unknown> };

describe('returns infrastructure', () => {
  let stack: ConveyorStack;
  let template: Template;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    Stack.of(stack).getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);

  beforeAll(() => {
    // Arrange: the stack with cdk.json's feature flags, without bundling.
    const { context } = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    stack = new ConveyorStack(new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } }), 'Conveyor', { config: SANDBOX_CONFIG });
    template = Template.fromStack(stack);
  });

  /** The ProcessReturn function's logical id, found by the handler folder its construct sets. */
  const processReturn = () => {
    const [id] = Object.keys(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ CONVEYOR_FUNCTION: 'process-return' }) } },
      }),
    );
    if (!id) throw new Error('no process-return function');
    return id;
  };

  it('feeds ProcessReturn from the returns queue with batch item failures reported', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: processReturn() },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.messaging.returnEvents), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it("alarms on the returns queue's DLQ, which takes a message after ten receives", () => {
    const dlq = logicalId(stack.messaging.returnEventsDlq);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 10 },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it("lets ProcessReturn send email from the sender identity only, and write the table (the sandbox gateway's records)", () => {
    const fn = template.toJSON().Resources[processReturn()] as Resource;
    const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: role }]) } }),
    ) as Resource[];
    const statements = policies.flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
    );
    const actions = (statement: { Action: string | string[] }) => [statement.Action].flat();

    const email = statements.filter((statement) => actions(statement).some((action) => action.startsWith('ses:')));
    expect(email).toHaveLength(1);
    expect(actions(email[0] as { Action: string[] })).toEqual(['ses:SendEmail']);
    const resource = JSON.stringify(email[0]?.Resource);
    expect(resource).toContain(':identity/orders@conveyor.example');
    expect(resource).not.toContain('"*"');
    expect(statements.some((statement) => actions(statement).includes('dynamodb:UpdateItem'))).toBe(true);
  });
});
