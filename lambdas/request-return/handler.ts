import { randomBytes } from 'node:crypto';
import { renderReturnRequested } from '../adapters/return-emails.js';
import { routes } from '../api/routes.js';
import { requestReturn } from '../domain/returns.js';
import { apiHandler } from '../shared/http.js';
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
 * A customer (through the storefront) or ops asks to return delivered units. The return exists once written; the
 * RMA email is sent after, and an email that fails is logged and counted, not a failed request.
 */
export const handler = apiHandler(routes.requestReturn, async ({ params, body, principal }) => {
  const stored = await requestReturn(
    { orders, returns },
    { orderId: params.orderId, body, principal, ids: newReturnIds(), now: new Date().toISOString() },
  );
  logger.info('Return requested', { returnId: stored.returnId, orderId: stored.orderId, refundDue: stored.refundDue });
  metrics.addMetric('ReturnsRequested', 'Count', 1);
  try {
    await mailer.send(renderReturnRequested(stored));
  } catch (error) {
    logger.error('Return email failed; the return stands', { returnId: stored.returnId, error: error as Error });
    metrics.addMetric('EmailsFailed', 'Count', 1);
  }
  return {
    status: 201,
    body: { returnId: stored.returnId, rmaNumber: stored.rmaNumber, status: stored.status },
    headers: { location: `/returns/${stored.returnId}` },
  };
});
