import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { renderReturnRefunded } from '../adapters/return-emails.js';
import { refundPart } from '../domain/refunds.js';
import { QueuedReturnEvent, type ReturnCondition, type StoredReturn } from '../domain/returns.js';
import { mailer } from '../shared/mailer.js';
import { logger, metrics } from '../shared/observability.js';
import { orders } from '../shared/orders.js';
import { paymentGateway } from '../shared/payments.js';
import { returns } from '../shared/returns.js';

const processor = new BatchProcessor(EventType.SQS);
const gateway = paymentGateway();

/**
 * Applies one warehouse event to its return. RECEIVED only ever moves REQUESTED → RECEIVED. INSPECTED runs steps
 * that are each done once however often the event comes (the same or another eventId, a redelivery, a replay after
 * a crash between any two steps): claim the inspection (the first condition wins), restock resellable units, refund
 * (one idempotency key per return), mark REFUNDED, then email — at least once (see docs/architecture.md, "Returns").
 */
async function applyReturnEvent(event: QueuedReturnEvent, messageId: string): Promise<void> {
  const stored = await returns.get(event.returnId, true);
  if (!stored) {
    // The API checks the return exists before queueing; nothing can make one appear, so retrying would not help.
    logger.warn('Return event for an unknown return', { returnId: event.returnId, eventId: event.eventId });
    return;
  }
  const at = new Date().toISOString();
  if (event.type === 'RECEIVED') {
    if (!(await returns.markReceived(stored, at))) logger.info('Return already past REQUESTED', { returnId: stored.returnId });
    return;
  }
  if (stored.status === 'REFUNDED' && stored.refundEmailedAt) {
    logger.info('Return already refunded and emailed', { returnId: stored.returnId, eventId: event.eventId });
    return;
  }
  const condition = await returns.claimInspection(stored, event.condition as ReturnCondition, at);
  if (condition !== event.condition)
    logger.info('Return inspected before; the first condition stands', { returnId: stored.returnId, condition });
  if (condition === 'RESELLABLE' && (await returns.restock(stored, at))) logger.info('Return restocked', { returnId: stored.returnId });
  const refunded = await refund(stored);
  if (await returns.markRefunded(stored, refunded, at)) {
    logger.info('Return refunded', { returnId: stored.returnId, orderId: stored.orderId, refund: refunded, condition });
    metrics.addMetric('ReturnsRefunded', 'Count', 1);
  }
  await emailRefund({ ...stored, refund: refunded }, messageId);
}

/** Refunds the amount fixed when the return was requested, once (the gateway answers a repeat with the first refund). */
async function refund(stored: StoredReturn) {
  if (stored.refundDue.amount === 0) return stored.refundDue;
  const { refund, all } = await refundPart(gateway, stored.orderId, stored.refundDue, `${stored.orderId}:refund:return:${stored.returnId}`);
  await orders.recordRefunds(stored.orderId, all);
  return refund.amount;
}

/** How long a message's hold on the refund email keeps others off: past it, the sender is taken to have died. */
const EMAIL_CLAIM_MINUTES = 5;

/**
 * The refund email goes out at least once, and once in the normal case: the message that claims it sends it, copies
 * of the event arriving meanwhile leave it to that message (whose redelivery sends it, should it crash before the
 * marker), and a crash between sending and the marker sends it again.
 */
async function emailRefund(stored: StoredReturn, messageId: string): Promise<void> {
  const now = new Date();
  const stale = new Date(now.getTime() - EMAIL_CLAIM_MINUTES * 60_000).toISOString();
  if (!(await returns.claimRefundEmail(stored.returnId, messageId, now.toISOString(), stale))) {
    logger.info('Refund email sent or being sent for another copy of the event', { returnId: stored.returnId });
    return;
  }
  try {
    await mailer.send(renderReturnRefunded(stored));
  } catch (error) {
    metrics.addMetric('EmailsFailed', 'Count', 1);
    throw error;
  }
  await returns.markRefundEmailed(stored.returnId, new Date().toISOString());
}

async function applyLogged(record: SQSRecord): Promise<void> {
  let returnId: string | undefined;
  try {
    const event = QueuedReturnEvent.parse(JSON.parse(record.body));
    returnId = event.returnId;
    await applyReturnEvent(event, record.messageId);
  } catch (error) {
    logger.error('Return event failed; SQS will redeliver it', { messageId: record.messageId, returnId, error: error as Error });
    throw error;
  }
}

export const handler = middy((event: SQSEvent, context: Context) => processPartialResponse(event, applyLogged, processor, { context }))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
