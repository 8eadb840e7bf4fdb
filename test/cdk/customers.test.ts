import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORDER_ITEMS_FILTER } from '../../lambdas/adapters/stream-images.js';
import { ConveyorStack } from '../../lib/conveyor-stack.js';
import { STREAM_ITERATOR_AGE_ALARM_MINUTES } from '../../lib/finance.js';

const root = path.resolve(import.meta.dirname, '../..');

type Statement = { Action: string | string[]; Resource: unknown };

describe('customer profiles in the stack', () => {
  let stack: ConveyorStack;
  let template: Template;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    Stack.of(stack).getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);

  beforeAll(() => {
    // Arrange: the stack with cdk.json's feature flags, without bundling.
    const { context } = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    stack = new ConveyorStack(new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } }), 'Conveyor');
    template = Template.fromStack(stack);
  });

  /** The logical id of the function built for a handler folder. */
  const functionOf = (handler: string) => {
    const [id] = Object.keys(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ CONVEYOR_FUNCTION: handler }) } },
      }),
    );
    if (!id) throw new Error(`no ${handler} function`);
    return id;
  };

  /** Every statement of the policies attached to a function's role. */
  const statementsOf = (functionId: string): Statement[] => {
    const fn = template.toJSON().Resources[functionId] as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } };
    const role = fn.Properties.Role['Fn::GetAtt'][0];
    return Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: role }]) } })).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
  };
  const actions = (statements: Statement[]) => statements.flatMap((statement) => [statement.Action].flat());

  it('feeds project-customers from the table stream: order items only, bisected, item failures reported, a failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionOf('project-customers') },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.data.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.finance.streamFailures), 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(ORDER_ITEMS_FILTER) }] },
    });
  });

  it('alarms when project-customers falls behind the stream, and when it fails', () => {
    const dimensions = [{ Name: 'FunctionName', Value: { Ref: functionOf('project-customers') } }];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Dimensions: dimensions,
      Threshold: STREAM_ITERATOR_AGE_ALARM_MINUTES * 60_000,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Dimensions: dimensions, Threshold: 1 });
  });

  it('lets project-customers read the stream and write the table, and touch no S3, no queue but its failure queue, no email', () => {
    const granted = actions(statementsOf(functionOf('project-customers')));
    // The same look at the ledger's consumer finds its S3 grant: the check below would see one.
    expect(actions(statementsOf(functionOf('record-ledger')))).toContain('s3:PutObject');

    expect(granted).toEqual(expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:PutItem']));
    expect(granted.filter((action) => action.startsWith('s3:'))).toEqual([]);
    expect(granted.filter((action) => action.startsWith('ses:') || action.startsWith('states:'))).toEqual([]);
    expect(granted.filter((action) => action.startsWith('sqs:') && action !== 'sqs:SendMessage' && !action.startsWith('sqs:Get'))).toEqual(
      [],
    );
    expect(JSON.stringify(statementsOf(functionOf('project-customers')))).not.toContain(logicalId(stack.finance.ledgerBucket));
  });

  it('serves GET /customers/{customerId} to ops, from a function that may only read the table', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /customers/{customerId}', AuthorizationType: 'CUSTOM' });
    const granted = actions(statementsOf(functionOf('get-customer')));
    expect(granted).toEqual(expect.arrayContaining(['dynamodb:Query']));
    expect(granted.filter((action) => /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/.test(action))).toEqual([]);
  });
});
