import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PaymentGatewayName } from '../lambdas/domain/payments.js';
import type { Carrier } from './config.js';
import { ConveyorSecrets } from './secrets.js';

const LAMBDAS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lambdas');

export interface ConveyorFunctionProps {
  /** Folder under lambdas/ with a handler.ts exporting `handler`. */
  handler: string;
  description: string;
  memorySize?: number;
  timeout?: Duration;
}

/** Who customer email comes from, and the SES configuration set it goes through (when there is one). */
export interface EmailSender {
  senderEmail: string;
  identityArn: string;
  configurationSet?: { name: string; arn: string };
}

/** The stack's queues ops watch (GET /ops/queues) and redrive: the event buffers with their DLQs, and the streams' failures. */
export interface WatchedQueues {
  carrierEvents: sqs.IQueue;
  carrierEventsDlq: sqs.IQueue;
  returnEvents: sqs.IQueue;
  returnEventsDlq: sqs.IQueue;
  streamFailures: sqs.IQueue;
}

/** Where each function's source map goes: beside the cloud assembly's assets, never inside one. */
export const SOURCE_MAP_DIR = 'sourcemaps';

/**
 * Bundling every function shares. The AWS SDK v3 is not bundled: the nodejs24.x runtime provides it
 * (the local cloud provides the project's own copy the same way), which keeps each bundle to Conveyor's
 * code, zod, middy and Powertools. The source map is written beside the assembly's assets
 * (cdk.out/sourcemaps/<function>.mjs.map) instead of into the deployed zip; the local cloud maps stack
 * traces with it. See docs/architecture.md, "Bundles".
 */
function bundling(handler: string): nodejs.BundlingOptions {
  return {
    externalModules: ['@aws-sdk/*'],
    minify: true,
    sourceMap: true,
    sourceMapMode: nodejs.SourceMapMode.EXTERNAL,
    target: 'node24',
    format: nodejs.OutputFormat.ESM,
    mainFields: ['module', 'main'],
    // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins.
    banner: "import { createRequire as __conveyorRequire } from 'node:module'; const require = __conveyorRequire(import.meta.url);",
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      // The bundling folder sits in the cloud assembly (cdk.out/bundling-temp-…), so ../sourcemaps is cdk.out/sourcemaps.
      afterBundling: (_inputDir: string, outputDir: string) => [`node -e ${shellQuote(moveSourceMap(outputDir, handler))}`],
    },
  };
}

/** A one-line Node program that moves the bundle's map out of the asset folder. */
function moveSourceMap(outputDir: string, handler: string): string {
  const from = JSON.stringify(path.join(outputDir, 'index.mjs.map'));
  const to = JSON.stringify(path.join(outputDir, '..', SOURCE_MAP_DIR, `${handler}.mjs.map`));
  return `const fs=require('fs'),path=require('path');fs.mkdirSync(path.dirname(${to}),{recursive:true});fs.renameSync(${from},${to})`;
}

const shellQuote = (text: string) =>
  process.platform === 'win32' ? `"${text.replaceAll('"', '\\"')}"` : `'${text.replaceAll("'", "'\\''")}'`;

/** Settings every Conveyor function shares: Node 24 on Graviton, JSON logs, tracing. */
const shared = {
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  tracing: lambda.Tracing.ACTIVE,
  loggingFormat: lambda.LoggingFormat.JSON,
} satisfies Partial<nodejs.NodejsFunctionProps>;

/**
 * A Conveyor Lambda function. Intent methods set the environment variable
 * *and* grant the least privilege that intent needs.
 */
export class ConveyorFunction extends Construct {
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: ConveyorFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: logs may go to this function's group only.
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...shared,
      bundling: bundling(props.handler),
      role,
      entry: path.join(LAMBDAS_DIR, props.handler, 'handler.ts'),
      handler: 'handler',
      description: props.description,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'conveyor',
        POWERTOOLS_METRICS_NAMESPACE: 'Conveyor',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Never the event: it holds request bodies (customers' names, addresses, emails) and API keys.
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
        CONVEYOR_FUNCTION: props.handler,
      },
    });
    // Only X-Ray's actions may be granted on `*` (test/cdk/least-privilege.test.ts holds every role to it).
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    });
  }

  get functionArn(): string {
    return this.function.functionArn;
  }

  readsFrom(table: dynamodb.ITable): iam.Grant {
    this.usesTable(table);
    return table.grantReadData(this.function);
  }

  writesTo(table: dynamodb.ITable): iam.Grant {
    this.usesTable(table);
    return table.grantReadWriteData(this.function);
  }

  /** Puts items into the table and does nothing else with it (a stream projection's writes). */
  putsItemsIn(table: dynamodb.ITable): void {
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table.tableArn] }));
  }

  startsExecutionsOf(machine: sfn.IStateMachine): iam.Grant {
    this.function.addEnvironment('STATE_MACHINE_ARN', machine.stateMachineArn);
    return machine.grantStartExecution(this.function);
  }

  /**
   * Describes the machine's executions and reads their history, and nothing else: not `grantRead`, which adds
   * states:DescribeStateMachine, DescribeActivity and ListActivities on `*`.
   */
  readsExecutionsOf(machine: sfn.IStateMachine): iam.Grant {
    this.function.addEnvironment('STATE_MACHINE_ARN', machine.stateMachineArn);
    const grant = machine.grantExecution(this.function, 'states:DescribeExecution', 'states:GetExecutionHistory');
    Validations.of(this.function.role ?? this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(this).getLogicalId(machine.node.defaultChild as CfnElement)}"}]}]}:*]`,
      reason: 'Reads the executions of this one state machine (their ARNs are only known at run time).',
    });
    return grant;
  }

  /** Lists the machine's executions (states:ListExecutions on the state machine), and nothing else. */
  listsExecutionsOf(machine: sfn.IStateMachine): iam.Grant {
    this.function.addEnvironment('STATE_MACHINE_ARN', machine.stateMachineArn);
    return machine.grant(this.function, 'states:ListExecutions');
  }

  /** Reads executions (to tell whether one may be redriven) and redrives them. */
  redrivesExecutionsOf(machine: sfn.IStateMachine): iam.Grant {
    this.readsExecutionsOf(machine);
    return machine.grantRedriveExecution(this.function);
  }

  answersTasksOf(machine: sfn.IStateMachine): iam.Grant {
    this.function.addEnvironment('STATE_MACHINE_ARN', machine.stateMachineArn);
    return machine.grantTaskResponse(this.function);
  }

  /**
   * Charges, voids and refunds through the configured gateway (PAYMENT_GATEWAY). The sandbox keeps its records in
   * the table, which the function's table grant covers.
   */
  takesPaymentsThrough(gateway: PaymentGatewayName): void {
    this.function.addEnvironment('PAYMENT_GATEWAY', gateway);
    if (gateway === 'stripe') this.readsSecret(this.secrets().stripeApiKey, 'STRIPE_API_KEY_SECRET_ARN');
  }

  /** Buys labels from the configured carrier (CARRIER), with its API key when it is a real one. */
  worksWithCarrier(carrier: Carrier, fromAddressId?: string): void {
    this.function.addEnvironment('CARRIER', carrier);
    if (carrier !== 'easypost') return;
    this.readsSecret(this.secrets().carrierApiKey, 'CARRIER_API_KEY_SECRET_ARN');
    if (!fromAddressId) throw new Error(`${this} buys EasyPost labels, but no carrierFromAddressId is configured.`);
    this.function.addEnvironment('CARRIER_FROM_ADDRESS_ID', fromAddressId);
  }

  /** Takes the configured carrier's webhooks (CARRIER), checking their signatures with the carrier webhook secret. */
  verifiesCarrierWebhooks(carrier: Carrier): void {
    this.function.addEnvironment('CARRIER', carrier);
    this.readsSecret(this.secrets().carrierWebhookSecret, 'CARRIER_WEBHOOK_SECRET_ARN');
  }

  /**
   * Names a secret in the environment (its ARN, never its value) and lets the function read that one secret's
   * value: GetSecretValue only, on this secret only (no DescribeSecret, no list).
   */
  readsSecret(secret: secretsmanager.ISecret | undefined, variable: string): void {
    if (!secret) throw new Error(`${this} reads ${variable}, but the stack has no such secret for its configuration.`);
    this.function.addEnvironment(variable, secret.secretArn);
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
  }

  private secrets(): ConveyorSecrets {
    return ConveyorSecrets.of(this);
  }

  /**
   * Sends customer email (SES v2) from the stack's sender identity, and from nothing else; with a configuration set
   * (bounces and complaints counted), through it: SendEmail is then authorized on the set too.
   */
  sendsEmailAs(sender: EmailSender): void {
    this.function.addEnvironment('SENDER_EMAIL', sender.senderEmail);
    const resources = [sender.identityArn];
    if (sender.configurationSet) {
      this.function.addEnvironment('SES_CONFIGURATION_SET', sender.configurationSet.name);
      resources.push(sender.configurationSet.arn);
    }
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['ses:SendEmail'], resources }));
  }

  /** Lists and reads the finance ledger's objects (under ledger/ only). */
  readsLedger(bucket: s3.IBucket): void {
    this.function.addEnvironment('LEDGER_BUCKET', bucket.bucketName);
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('ledger/*')] }));
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['ledger/*'] } },
      }),
    );
    Validations.of(this.function.role ?? this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnElement)}.Arn>/ledger/*]`,
      reason: 'Ledger objects are named per movement at run time; reads are limited to ledger/.',
    });
  }

  /** Names every watched queue in the environment and reads their attributes (depths): GetQueueAttributes, nothing more. */
  watchesQueues(queues: WatchedQueues): void {
    this.namesQueues(queues);
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:GetQueueAttributes'], resources: Object.values(queues).map((queue) => queue.queueArn) }),
    );
  }

  /** Moves dead letters back: receives and deletes on the two DLQs, sends on their queues; nothing on stream-failures. */
  redrivesQueues(queues: WatchedQueues): void {
    this.namesQueues(queues);
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'],
        resources: [queues.carrierEventsDlq.queueArn, queues.returnEventsDlq.queueArn],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queues.carrierEvents.queueArn, queues.returnEvents.queueArn] }),
    );
  }

  private namesQueues(queues: WatchedQueues): void {
    this.function.addEnvironment('CARRIER_EVENTS_QUEUE_URL', queues.carrierEvents.queueUrl);
    this.function.addEnvironment('CARRIER_EVENTS_DLQ_URL', queues.carrierEventsDlq.queueUrl);
    this.function.addEnvironment('RETURN_EVENTS_QUEUE_URL', queues.returnEvents.queueUrl);
    this.function.addEnvironment('RETURN_EVENTS_DLQ_URL', queues.returnEventsDlq.queueUrl);
    this.function.addEnvironment('STREAM_FAILURES_QUEUE_URL', queues.streamFailures.queueUrl);
  }

  sendsTo(queue: sqs.IQueue, variable: string): iam.Grant {
    this.function.addEnvironment(variable, queue.queueUrl);
    return queue.grantSendMessages(this.function);
  }

  private usesTable(table: dynamodb.ITable): void {
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    Validations.of(this.function.role ?? this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(table.node.defaultChild as CfnElement)}.Arn>/index/*]`,
      reason: "Queries use the table's secondary indexes (gsi1); the grant names this table's indexes only.",
    });
  }

  /** The stack's name for messages: the function's logical path. */
  toString(): string {
    return `${Stack.of(this).stackName}/${this.node.path}`;
  }
}
