import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

const LAMBDAS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lambdas');

export interface ConveyorFunctionProps {
  /** Folder under lambdas/ with a handler.ts exporting `handler`. */
  handler: string;
  description: string;
  memorySize?: number;
  timeout?: Duration;
}

/** Settings every Conveyor function shares: Node 24 on Graviton, JSON logs, tracing, bundled SDK. */
const shared = {
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  tracing: lambda.Tracing.ACTIVE,
  loggingFormat: lambda.LoggingFormat.JSON,
  bundling: {
    // The SDK is bundled (not taken from the runtime) so the version we test is the version we run.
    externalModules: [],
    minify: true,
    sourceMap: true,
    target: 'node24',
    format: nodejs.OutputFormat.ESM,
    mainFields: ['module', 'main'],
    // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins.
    banner: "import { createRequire as __conveyorRequire } from 'node:module'; const require = __conveyorRequire(import.meta.url);",
    forceDockerBundling: false,
  },
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
      role,
      entry: path.join(LAMBDAS_DIR, props.handler, 'handler.ts'),
      handler: 'handler',
      description: props.description,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'conveyor',
        POWERTOOLS_METRICS_NAMESPACE: 'Conveyor',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        CONVEYOR_FUNCTION: props.handler,
      },
    });
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

  startsExecutionsOf(machine: sfn.IStateMachine): iam.Grant {
    this.function.addEnvironment('STATE_MACHINE_ARN', machine.stateMachineArn);
    return machine.grantStartExecution(this.function);
  }

  readsExecutionsOf(machine: sfn.IStateMachine): iam.Grant {
    this.function.addEnvironment('STATE_MACHINE_ARN', machine.stateMachineArn);
    const grant = machine.grantRead(this.function);
    Validations.of(this.function.role ?? this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(this).getLogicalId(machine.node.defaultChild as CfnElement)}"}]}]}:*]`,
      reason: 'Reads the executions of this one state machine (their ARNs are only known at run time).',
    });
    return grant;
  }

  answersTasksOf(machine: sfn.IStateMachine): iam.Grant {
    this.function.addEnvironment('STATE_MACHINE_ARN', machine.stateMachineArn);
    return machine.grantTaskResponse(this.function);
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
