import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { CarrierEvent } from '../domain/tracking.js';
import { logger, metrics } from '../shared/observability.js';
import { orderWorkflow } from '../shared/order-workflow.js';
import { orders } from '../shared/orders.js';
import { shipments } from '../shared/shipments.js';

const processor = new BatchProcessor(EventType.SQS);

/**
 * Applies one carrier event: recorded once per eventId, the shipment's status only ever moves
 * forwards, and DELIVERED answers the order's delivery wait. Every step is safe to repeat, so a
 * redelivered message does no harm. A record that throws goes back to the queue (and, after five
 * receives, to the DLQ); the rest of its batch is not held back.
 */
async function applyCarrierEvent(record: SQSRecord): Promise<void> {
  const event = CarrierEvent.parse(JSON.parse(record.body));
  const shipment = await shipments.find(event.trackingNumber);
  if (!shipment) return keepUnmatched(event);
  if ((await shipments.recordEvent(shipment, event)) === 'duplicate') {
    logger.info('Duplicate carrier event', { eventId: event.eventId, orderId: shipment.orderId });
  }
  if (event.status === 'EXCEPTION') {
    logger.warn('Carrier exception', { trackingNumber: event.trackingNumber, orderId: shipment.orderId });
    metrics.addMetric('CarrierExceptions', 'Count', 1);
    return;
  }
  await shipments.advance(shipment, event);
  if (event.status !== 'DELIVERED') return;
  const order = await orders.get(shipment.orderId, true);
  // A wait already gone was answered by an earlier DELIVERED, or gave up (the run failed as DeliveryOverdue).
  if (!order?.deliveryToken) return;
  await orderWorkflow.completeWait(order.deliveryToken, { at: event.occurredAt });
  // The funnel's last stage (at least once: a redelivery before MarkDelivered clears the token counts again).
  metrics.addMetric('OrdersDelivered', 'Count', 1);
}

/**
 * An event for a tracking number Conveyor bought no label for (a carrier's mistake, another shipper's parcel) is
 * not poison: retrying cannot help, and in the DLQ it would hide real failures. It is kept for ops, counted, and
 * its message deleted.
 */
async function keepUnmatched(event: CarrierEvent): Promise<void> {
  if ((await shipments.recordUnmatched(event)) === 'duplicate') return;
  logger.warn('Carrier event for an unknown tracking number', { trackingNumber: event.trackingNumber, eventId: event.eventId });
  // One metric line per event, with its tracking number as metadata, so the count leads to what is behind it.
  const metric = metrics.singleMetric();
  metric.addMetadata('trackingNumber', event.trackingNumber);
  metric.addMetric('UnknownTrackingNumbers', 'Count', 1);
}

async function applyLogged(record: SQSRecord): Promise<void> {
  try {
    await applyCarrierEvent(record);
  } catch (error) {
    logger.error('Carrier event failed; SQS will redeliver it', { messageId: record.messageId, error: error as Error });
    throw error;
  }
}

export const handler = middy((event: SQSEvent, context: Context) => processPartialResponse(event, applyLogged, processor, { context }))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
