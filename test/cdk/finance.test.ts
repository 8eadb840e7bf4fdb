import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ORDER_ITEMS_FILTER } from '../../lambdas/adapters/stream-images.js';
import { STREAM_ITERATOR_AGE_ALARM_MINUTES } from '../../lib/finance.js';
import { actions, synthesizedStack } from './stack-template.js';

describe('the finance ledger in the stack', () => {
  // The stack with cdk.json's feature flags, without bundling.
  const { stack, template, logicalId, functionOf, statementsOf } = synthesizedStack();
  const bucket = logicalId(stack.finance.ledgerBucket);

  it('keeps the ledger in an encrypted, versioned, private bucket with access logs and a lifecycle', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'ledger/' }),
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              Transitions: [Match.objectLike({ StorageClass: 'STANDARD_IA' }), Match.objectLike({ StorageClass: 'GLACIER_IR' })],
            }),
          ],
        },
      }),
    });
    // TLS only: the bucket policy denies any request not made over TLS.
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('describes the ledger to Athena: JSON lines partitioned by day through partition projection', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'ledger',
        PartitionKeys: [{ Name: 'dt', Type: 'string' }],
        Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.dt.type': 'date', classification: 'json' }),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
          Columns: ['entryid', 'orderid', 'type', 'amount', 'currency', 'occurredat'].map((name) => Match.objectLike({ Name: name })),
        }),
      }),
    });
  });

  it('feeds record-ledger from the stream with retries, bisect, item failures and a failure queue, and alarms on lag', () => {
    const fn = functionOf('record-ledger');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fn },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.finance.streamFailures), 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(ORDER_ITEMS_FILTER) }] },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
      Threshold: STREAM_ITERATOR_AGE_ALARM_MINUTES * 60_000,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.finance.streamFailures), 'QueueName'] } }],
    });
  });

  it('lets record-ledger put objects under ledger/ and do nothing else with S3 or the table', () => {
    const statements = statementsOf(functionOf('record-ledger'));
    const s3 = statements.filter((statement) => actions([statement]).some((action) => action.startsWith('s3:')));
    expect(s3).toEqual([
      expect.objectContaining({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/ledger/*']] } }),
    ]);
    expect(actions(statements).filter((action) => /dynamodb:(PutItem|UpdateItem|DeleteItem|GetItem|Query|Scan)/.test(action))).toEqual([]);
  });

  it('lets the finance routes read ledger/ only, and not the table', () => {
    for (const handler of ['finance-summary', 'finance-exports']) {
      const granted = actions(statementsOf(functionOf(handler)));
      expect(granted.filter((action) => action.startsWith('s3:')).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
      expect(granted.filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /finance/exports', AuthorizationType: 'CUSTOM' });
  });
});
