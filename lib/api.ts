import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { allRoutes, defaultRoute, type RouteDefinition } from '../lambdas/api/routes.js';
import type { PaymentGatewayName } from '../lambdas/domain/payments.js';
import type { Carrier } from './config.js';
import { ConveyorFunction, type EmailSender, type WatchedQueues } from './function.js';

/**
 * How long the authorizer trusts a key it has looked up. 0: every request reads the key, so a revoked
 * key fails at once (see docs/architecture.md, "The authorizer reads the key on every request").
 */
export const API_KEY_CACHE_SECONDS = 0;

/** How long a customer may wait for the first answer to an inquiry before the InquiryFirstResponse alarm fires. */
export const INQUIRY_FIRST_RESPONSE_ALARM_HOURS = 24;

/**
 * One JSON line per request in the HTTP API's own variables (the REST API's jsonWithStandardFields names fields an
 * HTTP API does not have). No caller identity, no body, no query string: nothing personal.
 */
const HTTP_API_ACCESS_LOG_FORMAT = apigw.AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationStatus: '$context.integrationStatus',
    integrationErrorMessage: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    responseLength: '$context.responseLength',
  }),
);

export interface ApiProps {
  table: dynamodb.ITable;
  workflow: sfn.IStateMachine;
  carrierEvents: sqs.IQueue;
  returnEvents: sqs.IQueue;
  /** Every queue ops watch and redrive (GET /ops/queues): the two above, their DLQs, and the streams' failures. */
  queues: WatchedQueues;
  /** The finance ledger's bucket (routes with readsLedger read it). */
  ledgerBucket: s3.IBucket;
  /** The SES identity routes that email customers send from. */
  sender: EmailSender;
  /** Who charges cards: GET /health reports it. */
  paymentGateway: PaymentGatewayName;
  /** The carrier whose webhooks POST /carrier/events takes (its signing secret is the stack's carrier webhook secret, lib/secrets.ts). */
  carrier: Carrier;
  /** Web origins whose pages may call the API from a browser (the console's https origin); none: no CORS at all. */
  allowedOrigins?: string[];
}

/**
 * The public HTTP API: one function per route from lambdas/api/routes.ts, behind the API key authorizer unless
 * public, and a `$default` route for everything else.
 */
export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly functions: ConveyorFunction[] = [];

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    const authorizerFunction = new ConveyorFunction(this, 'authorizer', {
      handler: 'authorizer',
      description: 'Resolves the API key of every request to a principal and its scope',
      memorySize: 256,
      timeout: Duration.seconds(5),
    });
    authorizerFunction.readsFrom(props.table);
    // A cache would save a DynamoDB read per request, and let a revoked key work for its lifetime.
    authorizerFunction.function.addEnvironment('API_KEY_CACHE_SECONDS', String(API_KEY_CACHE_SECONDS));
    this.functions.push(authorizerFunction);

    // No identity source and no cache: the authorizer runs on every request, with or without a key,
    // so that the handler can answer a missing key with Conveyor's 401 envelope.
    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', authorizerFunction.function, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [],
      resultsCacheTtl: Duration.seconds(0),
    });

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Conveyor v1 HTTP API',
      createDefaultStage: false,
      // API Gateway answers preflights itself; the key travels in Authorization, never in a cookie.
      corsPreflight: props.allowedOrigins?.length
        ? {
            allowOrigins: props.allowedOrigins,
            allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.PUT],
            allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
            maxAge: Duration.hours(1),
          }
        : undefined,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: HTTP_API_ACCESS_LOG_FORMAT,
      },
      throttle: { rateLimit: 1000, burstLimit: 2000 },
    });

    for (const route of allRoutes) {
      const fn = this.routeFunction(route, `${route.method} ${route.path}: ${route.summary}`, props);
      const [apiRoute] = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.handler}-integration`, fn.function),
        authorizer: route.scopes === 'public' ? undefined : authorizer,
      });
      if (route.scopes === 'public') {
        Validations.of(apiRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is public by contract (API.md: no auth).`,
        });
      }
    }

    // Requests no route matches go to $default, whose function answers 404/405 with the error envelope.
    const fallback = this.routeFunction(defaultRoute, `$default: ${defaultRoute.summary}`, props);
    const fallbackRoute = new apigwv2.HttpRoute(this, 'DefaultRoute', {
      httpApi: this.httpApi,
      routeKey: apigwv2.HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration(`${defaultRoute.handler}-integration`, fallback.function),
    });
    Validations.of(fallbackRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: '$default only answers unknown routes and wrong methods (404/405); it reads nothing.',
    });

    this.alarmOnSlowInquiryAnswers();

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.apiEndpoint, description: 'Base URL of the Conveyor HTTP API' });
  }

  /**
   * reply-to-inquiry emits InquiryFirstResponseSeconds (EMF) when an inquiry gets its first reply. The alarm fires
   * when one waited longer than INQUIRY_FIRST_RESPONSE_ALARM_HOURS; an hour with no first replies is not a breach.
   */
  private alarmOnSlowInquiryAnswers(): void {
    new cloudwatch.Alarm(this, 'InquiryFirstResponseAlarm', {
      alarmDescription:
        `A customer waited more than ${INQUIRY_FIRST_RESPONSE_ALARM_HOURS} h for the first answer to an inquiry. ` +
        'Answer the oldest open ones first: GET /ops/inquiries (oldest first), then POST /ops/inquiries/{inquiryId}/replies; ' +
        'if this repeats, staff the inquiry queue.',
      metric: new cloudwatch.Metric({
        namespace: 'Conveyor',
        metricName: 'InquiryFirstResponseSeconds',
        dimensionsMap: { service: 'conveyor' },
        statistic: 'Maximum',
        period: Duration.hours(1),
      }),
      threshold: INQUIRY_FIRST_RESPONSE_ALARM_HOURS * 3600,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** A route's function with the least privilege its entry in the route table asks for. */
  private routeFunction(
    route: Pick<
      RouteDefinition,
      'handler' | 'tableAccess' | 'workflow' | 'sendsTo' | 'queues' | 'sendsEmail' | 'readsLedger' | 'reportsPaymentGateway'
    >,
    description: string,
    props: ApiProps,
  ): ConveyorFunction {
    const fn = new ConveyorFunction(this, route.handler, { handler: route.handler, description });
    if (route.tableAccess === 'read') fn.readsFrom(props.table);
    if (route.tableAccess === 'write') fn.writesTo(props.table);
    if (route.workflow === 'start') fn.startsExecutionsOf(props.workflow);
    if (route.workflow === 'read') fn.readsExecutionsOf(props.workflow);
    if (route.workflow === 'list') fn.listsExecutionsOf(props.workflow);
    if (route.workflow === 'answer') fn.answersTasksOf(props.workflow);
    if (route.workflow === 'redrive') fn.redrivesExecutionsOf(props.workflow);
    if (route.sendsTo === 'carrierEvents') {
      fn.sendsTo(props.carrierEvents, 'CARRIER_EVENTS_QUEUE_URL');
      fn.verifiesCarrierWebhooks(props.carrier);
    }
    if (route.sendsTo === 'returnEvents') fn.sendsTo(props.returnEvents, 'RETURN_EVENTS_QUEUE_URL');
    if (route.queues === 'read') fn.watchesQueues(props.queues);
    if (route.queues === 'redrive') fn.redrivesQueues(props.queues);
    if (route.sendsEmail) fn.sendsEmailAs(props.sender);
    if (route.readsLedger) fn.readsLedger(props.ledgerBucket);
    if (route.reportsPaymentGateway) fn.function.addEnvironment('PAYMENT_GATEWAY', props.paymentGateway);
    this.functions.push(fn);
    return fn;
  }
}
