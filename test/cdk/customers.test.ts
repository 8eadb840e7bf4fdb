import { describe, expect, it } from 'vitest';
import { ORDER_ITEMS_FILTER } from '../../lambdas/adapters/stream-images.js';
import { STREAM_ITERATOR_AGE_ALARM_MINUTES } from '../../lib/finance.js';
import { actions, synthesizedStack } from './stack-template.js';

describe('customer profiles in the stack', () => {
  // The stack with cdk.json's feature flags, without bundling.
  const { stack, template, logicalId, functionOf, statementsOf } = synthesizedStack();

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

  it('lets project-customers read the stream and put items, and touch no S3, no queue but its failure queue, no email', () => {
    const granted = actions(statementsOf(functionOf('project-customers')));
    // The same look at the ledger's consumer finds its S3 grant: the check below would see one.
    expect(actions(statementsOf(functionOf('record-ledger')))).toContain('s3:PutObject');

    expect(granted).toEqual(expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:PutItem']));
    expect(granted.filter((action) => action.startsWith('s3:'))).toEqual([]);
    // Conditional puts only: it never reads, updates or deletes the table's items.
    expect(
      granted.filter((action) => /dynamodb:(GetItem|Query|Scan|UpdateItem|DeleteItem|BatchWriteItem|BatchGetItem)$/.test(action)),
    ).toEqual([]);
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
