import { describe, expect, it } from 'vitest';
import { actions, synthesizedStack } from './stack-template.js';

describe('the storefront and ops read routes in the stack', () => {
  // The stack with cdk.json's feature flags, without bundling.
  const { stack, template, logicalId, functionOf, statementsOf } = synthesizedStack();
  const arn = (construct: Parameters<typeof logicalId>[0]) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
  const { carrierEvents, carrierEventsDlq, returnEvents, returnEventsDlq } = stack.messaging;
  const { streamFailures } = stack.finance;

  it('serves each new route with the authorizer', () => {
    for (const routeKey of [
      'GET /products',
      'POST /quotes',
      'GET /ops/orders',
      'GET /ops/executions',
      'GET /ops/queues',
      'POST /ops/queues/{name}/redrive',
    ]) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'CUSTOM' });
    }
  });

  it('lets the catalog list, the quote and the ops order list read the table and do nothing else', () => {
    for (const handler of ['list-products', 'quote-cart', 'list-ops-orders']) {
      const granted = actions(statementsOf(functionOf(handler)));
      expect(granted, handler).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:BatchGetItem']));
      expect(
        granted.filter((action) => /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/.test(action)),
        handler,
      ).toEqual([]);
      expect(
        granted.filter((action) => /^(sqs|states|s3|ses):/.test(action)),
        handler,
      ).toEqual([]);
    }
  });

  it('lets GET /ops/executions list the order workflow’s executions, on the state machine only, and nothing more', () => {
    const statements = statementsOf(functionOf('list-executions'));
    const workflow = statements.filter((statement) => actions([statement]).some((action) => action.startsWith('states:')));

    expect(workflow).toEqual([
      expect.objectContaining({ Action: 'states:ListExecutions', Resource: { Ref: logicalId(stack.workflow.stateMachine) } }),
    ]);
    expect(actions(statements).filter((action) => /^(dynamodb|sqs|s3|ses):/.test(action))).toEqual([]);
  });

  it('lets GET /ops/queues read the five queues’ attributes, and nothing more', () => {
    const statements = statementsOf(functionOf('list-queues'));
    const queueStatements = statements.filter((statement) => actions([statement]).some((action) => action.startsWith('sqs:')));

    expect(queueStatements).toHaveLength(1);
    expect(queueStatements[0]?.Action).toBe('sqs:GetQueueAttributes');
    const ids = (resources: unknown) =>
      ([resources].flat() as { 'Fn::GetAtt': [string] }[]).map((resource) => resource['Fn::GetAtt'][0]).sort();
    expect(ids(queueStatements[0]?.Resource)).toEqual(
      ids([carrierEvents, carrierEventsDlq, returnEvents, returnEventsDlq, streamFailures].map((queue) => arn(queue))),
    );
    expect(actions(statements).filter((action) => /^(dynamodb|states|s3|ses):/.test(action))).toEqual([]);
  });

  it('lets the redrive receive and delete on the two DLQs and send to their queues, and touch no other queue', () => {
    const statements = statementsOf(functionOf('redrive-queue'));
    const byAction = (action: string) =>
      statements.filter((statement) => actions([statement]).includes(action)).flatMap((statement) => [statement.Resource].flat());

    expect(byAction('sqs:ReceiveMessage')).toEqual([arn(carrierEventsDlq), arn(returnEventsDlq)]);
    expect(byAction('sqs:DeleteMessage')).toEqual([arn(carrierEventsDlq), arn(returnEventsDlq)]);
    expect(byAction('sqs:SendMessage')).toEqual([arn(carrierEvents), arn(returnEvents)]);
    expect(
      actions(statements)
        .filter((action) => action.startsWith('sqs:'))
        .sort(),
    ).toEqual(['sqs:DeleteMessage', 'sqs:ReceiveMessage', 'sqs:SendMessage']);
    expect(JSON.stringify(statements)).not.toContain(logicalId(streamFailures));
    expect(actions(statements).filter((action) => /^(dynamodb|states|s3|ses):/.test(action))).toEqual([]);
  });

  it('tells both queue functions every queue URL, from the stack’s queues', () => {
    for (const handler of ['list-queues', 'redrive-queue']) {
      const fn = template.toJSON().Resources[functionOf(handler)] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      };
      expect(fn.Properties.Environment.Variables).toMatchObject({
        CARRIER_EVENTS_QUEUE_URL: { Ref: logicalId(carrierEvents) },
        CARRIER_EVENTS_DLQ_URL: { Ref: logicalId(carrierEventsDlq) },
        RETURN_EVENTS_QUEUE_URL: { Ref: logicalId(returnEvents) },
        RETURN_EVENTS_DLQ_URL: { Ref: logicalId(returnEventsDlq) },
        STREAM_FAILURES_QUEUE_URL: { Ref: logicalId(streamFailures) },
      });
    }
  });
});
