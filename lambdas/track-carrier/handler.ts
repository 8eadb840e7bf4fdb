import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { orderKey } from '../adapters/order-repository.js';
import { CarrierEvent, SHIPMENT_RANK } from '../domain/tracking.js';
import { dynamoDb, stepFunctions } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';
import { logger, metrics } from '../shared/observability.js';
import { orders } from '../shared/orders.js';

const tableName = requireEnv('TABLE_NAME');

/**
 * Applies one carrier event: recorded once per eventId (the shipment keeps the ids it has seen, and the
 * append is conditional on the id being new), the shipment's status only ever moves forwards, and
 * DELIVERED completes the order's delivery wait. Every step is safe to repeat, so a redelivered
 * message does no harm; no transaction is needed.
 */
async function apply(event: CarrierEvent): Promise<void> {
  const { Item: tracking } = await dynamoDb.send(
    new GetCommand({ TableName: tableName, Key: { pk: `TRACKING#${event.trackingNumber}`, sk: '#TRACKING' } }),
  );
  if (!tracking) throw new Error(`Unknown tracking number ${event.trackingNumber}`);
  const orderId = tracking.orderId as string;
  const index = Number(tracking.shipmentIndex ?? 0);
  logger.appendKeys({ orderId });
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: orderKey(orderId),
        UpdateExpression: `SET shipments[${index}].events = list_append(shipments[${index}].events, :event), timeline = list_append(timeline, :entry) ADD shipments[${index}].eventIds :ids`,
        ConditionExpression: `attribute_exists(shipments[${index}]) AND NOT contains(shipments[${index}].eventIds, :id)`,
        ExpressionAttributeValues: {
          ':event': [{ status: event.status, occurredAt: event.occurredAt }],
          ':entry': [{ at: event.occurredAt, status: 'SHIPPED', note: `carrier: ${event.status} (${event.trackingNumber})` }],
          ':ids': new Set([event.eventId]),
          ':id': event.eventId,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const order = await orders.get(orderId, true);
    // The label is bought a moment before the order lists its shipment: not a duplicate, try again later.
    if ((order?.shipments.length ?? 0) <= index) throw new Error(`Shipment ${tracking.shipmentId} is not on order ${orderId} yet`);
    logger.info('Duplicate carrier event', { eventId: event.eventId });
  }

  if (event.status === 'EXCEPTION') {
    logger.warn('Carrier exception', { trackingNumber: event.trackingNumber });
    metrics.addMetric('CarrierExceptions', 'Count', 1);
    return;
  }
  await advance(orderId, index, event);
  if (event.status !== 'DELIVERED') return;
  const order = await orders.get(orderId, true);
  if (!order?.deliveryToken) return;
  try {
    await stepFunctions.send(
      new SendTaskSuccessCommand({ taskToken: order.deliveryToken, output: JSON.stringify({ at: event.occurredAt }) }),
    );
  } catch (error) {
    // Already delivered, or the wait gave up (the execution failed as DeliveryOverdue): nothing to do here.
    if (!(error instanceof TaskDoesNotExist || error instanceof TaskTimedOut)) throw error;
  }
}

/** Moves the shipment's status forwards only; an older or equal event leaves it as it is. */
async function advance(orderId: string, index: number, event: CarrierEvent): Promise<void> {
  const rank = SHIPMENT_RANK[event.status] as number;
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: orderKey(orderId),
        UpdateExpression: `SET shipments[${index}].#status = :status, shipments[${index}].#rank = :rank`,
        ConditionExpression: `shipments[${index}].#rank < :rank`,
        ExpressionAttributeNames: { '#status': 'status', '#rank': 'rank' },
        ExpressionAttributeValues: { ':status': event.status, ':rank': rank },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export const handler = middy(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await apply(CarrierEvent.parse(JSON.parse(record.body)));
    } catch (error) {
      logger.error('Carrier event failed; SQS will redeliver it', { messageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return { batchItemFailures };
}).use(injectLambdaContext(logger, { resetKeys: true }));
