import { Aws, type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ORDER_ITEMS_FILTER } from '../lambdas/adapters/stream-images.js';
import { ConveyorFunction } from './function.js';

export interface FinanceProps {
  table: dynamodb.ITable;
}

/** How far behind the stream a consumer may fall before the iterator-age alarm fires. */
export const STREAM_ITERATOR_AGE_ALARM_MINUTES = 10;

/**
 * Finance and CRM from the table's stream: the ledger (JSON lines in S3, partitioned by day, described by a
 * Glue table for Athena) and customer profiles, each fed by an event source mapping that retries, bisects,
 * reports item failures and sends what keeps failing to a queue, so one bad record never blocks a shard.
 */
export class Finance extends Construct {
  readonly ledgerBucket: s3.Bucket;
  readonly streamFailures: sqs.Queue;
  readonly consumers: ConveyorFunction[] = [];

  constructor(scope: Construct, id: string, props: FinanceProps) {
    super(scope, id);
    const accessLogs = new s3.Bucket(this, 'LedgerAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the ledger bucket’s access logs; logging it too would log the logs.',
    });
    this.ledgerBucket = new s3.Bucket(this, 'Ledger', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'ledger/',
      lifecycleRules: [
        {
          // Closed months are read rarely; old versions (a movement written again) are kept for a month.
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(90) },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(365) },
          ],
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
      // Ten years of books outlive any one deployment.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.ledgerTable();

    this.streamFailures = new sqs.Queue(this, 'StreamFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.streamFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the failure destination of the stream mappings: it is the dead-letter queue.',
    });
    new cloudwatch.Alarm(this, 'StreamFailuresAlarm', {
      alarmDescription:
        'A stream record kept failing in the ledger or profile consumer and was set aside (its shard and sequence numbers are in the message); fix the cause and replay that range.',
      metric: this.streamFailures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const recordLedger = this.streamConsumer(
      'record-ledger',
      'Writes ledger lines for every money movement of an order (stream → S3)',
      props,
    );
    recordLedger.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.ledgerBucket.arnForObjects('ledger/*')] }),
    );
    Validations.of(recordLedger.function.role ?? recordLedger).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.ledgerBucket.node.defaultChild as CfnElement)}.Arn>/ledger/*]`,
      reason: 'Ledger objects are named per movement at run time; the grant is PutObject under ledger/ only.',
    });
    recordLedger.function.addEnvironment('LEDGER_BUCKET', this.ledgerBucket.bucketName);

    // Profiles live in the table itself, under keys the mappings' order filter leaves out: they feed no consumer.
    const projectCustomers = this.streamConsumer(
      'project-customers',
      "Keeps each order's contribution to its customer's profile (stream → table)",
      props,
    );
    // Conditional puts of each order's contribution, and nothing else: no reads, no deletes.
    projectCustomers.putsItemsIn(props.table);
  }

  /**
   * A consumer of the table's stream, order items only: batches of up to 100 gathered for a second, five retries
   * with the batch bisected on error, item failures reported, what still fails sent to the failure queue.
   */
  streamConsumer(handler: string, description: string, props: FinanceProps): ConveyorFunction {
    const consumer = new ConveyorFunction(this, handler, { handler, description, timeout: Duration.seconds(30) });
    consumer.function.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        retryAttempts: 5,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.streamFailures),
        filters: [lambda.FilterCriteria.filter(ORDER_ITEMS_FILTER)],
      }),
    );
    new cloudwatch.Alarm(this, `${handler}IteratorAgeAlarm`, {
      alarmDescription: `${handler} is more than ${STREAM_ITERATOR_AGE_ALARM_MINUTES} minutes behind the table's stream (records expire after 24 h); look at its errors and throttles.`,
      metric: consumer.function.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: STREAM_ITERATOR_AGE_ALARM_MINUTES * 60_000,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    new cloudwatch.Alarm(this, `${handler}ErrorsAlarm`, {
      alarmDescription: `${handler} failed batches from the table's stream; its log says which records, and they are retried.`,
      metric: consumer.function.metricErrors({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.consumers.push(consumer);
    return consumer;
  }

  /** The Glue table Athena reads the ledger with: JSON lines, partitioned by day through partition projection. */
  private ledgerTable(): void {
    const database = new glue.CfnDatabase(this, 'FinanceDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: `conveyor_finance_${Stack.of(this)
          .stackName.toLowerCase()
          .replace(/[^a-z0-9_]/g, '_')}`,
      },
    });
    const location = `s3://${this.ledgerBucket.bucketName}/ledger/`;
    const table = new glue.CfnTable(this, 'LedgerTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: database.ref,
      tableInput: {
        name: 'ledger',
        description: 'Conveyor ledger lines: one per money movement; amounts in minor units, refunds negative.',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'dt', type: 'string' }],
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2026-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `${location}dt=\${dt}/`,
        },
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
          columns: [
            { name: 'entryid', type: 'string' },
            { name: 'orderid', type: 'string' },
            { name: 'type', type: 'string' },
            { name: 'amount', type: 'bigint' },
            { name: 'currency', type: 'string' },
            { name: 'occurredat', type: 'string' },
          ],
        },
      },
    });
    table.addDependency(database);
  }
}
