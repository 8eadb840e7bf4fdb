import { createHash, randomBytes } from 'node:crypto';
import { renderReturnRequested } from '../adapters/return-emails.js';
import { routes } from '../api/routes.js';
import { requestReturn } from '../domain/returns.js';
import { apiHandler, requestHash } from '../shared/http.js';
import { mailer } from '../shared/mailer.js';
import { logger, metrics } from '../shared/observability.js';
import { orders } from '../shared/orders.js';
import { returns } from '../shared/returns.js';

/** A return id (`ret_` + time + randomness) and its RMA number for the parcel, made of the same time and randomness. */
function newReturnIds() {
  const time = Date.now().toString(36);
  const random = randomBytes(5).toString('hex');
  return { returnId: `ret_${time}${random}`, rmaNumber: `RMA-${time.toUpperCase()}-${random.toUpperCase()}` };
}

/**
 * The ids of the return a request with an Idempotency-Key makes: the same key on the same order always names the
 * same return (so a retry finds it), with a digest of the body to tell a repeat from another request.
 */
function keyedReturnIds(orderId: string, key: string, body: unknown) {
  const digest = createHash('sha256').update(`${orderId}\n${key}`).digest('hex');
  return {
    returnId: `ret_${digest.slice(0, 24)}`,
    rmaNumber: `RMA-${digest.slice(24, 32).toUpperCase()}-${digest.slice(32, 42).toUpperCase()}`,
    requestHash: requestHash(body),
  };
}

/**
 * A customer (through the storefront) or ops asks to return delivered units. The return exists once written; the
 * RMA email is sent after, and an email that fails is logged and counted, not a failed request. With an
 * Idempotency-Key, a repeat of the request answers the first answer again (no second return, no second email).
 */
export const handler = apiHandler(routes.requestReturn, async ({ params, body, headers, principal }) => {
  const key = headers['idempotency-key'];
  const ids = key === undefined ? newReturnIds() : keyedReturnIds(params.orderId, key, body);
  const { stored, replayed } = await requestReturn(
    { orders, returns },
    { orderId: params.orderId, body, principal, ids, now: new Date().toISOString() },
  );
  const answer = { returnId: stored.returnId, rmaNumber: stored.rmaNumber, status: 'REQUESTED' as const };
  const linkHeaders: Record<string, string> = { location: `/returns/${stored.returnId}` };
  if (replayed) return { status: 201, body: answer, headers: { ...linkHeaders, 'idempotent-replayed': 'true' } };
  logger.info('Return requested', { returnId: stored.returnId, orderId: stored.orderId, refundDue: stored.refundDue });
  metrics.addMetric('ReturnsRequested', 'Count', 1);
  try {
    await mailer.send(renderReturnRequested(stored));
  } catch (error) {
    logger.error('Return email failed; the return stands', { returnId: stored.returnId, error: error as Error });
    metrics.addMetric('EmailsFailed', 'Count', 1);
  }
  return { status: 201, body: answer, headers: linkHeaders };
});
