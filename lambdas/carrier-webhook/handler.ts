import { SqsCarrierEventQueue } from '../adapters/sqs-carrier-event-queue.js';
import { routes } from '../api/routes.js';
import { Unauthenticated, ValidationFailed } from '../domain/errors.js';
import { CarrierEvent, checkSignature, type SignatureCheck } from '../domain/tracking.js';
import { requireEnv } from '../shared/config.js';
import { apiHandler, readBody } from '../shared/http.js';
import { logger } from '../shared/observability.js';

const queue = new SqsCarrierEventQueue(requireEnv('CARRIER_EVENTS_QUEUE_URL'));
const secret = requireEnv('CARRIER_WEBHOOK_SECRET');

const SIGNATURE_ADVICE: Record<Exclude<SignatureCheck, 'valid'>, string> = {
  missing: 'Send X-Conveyor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with your secret>.',
  malformed: 'X-Conveyor-Signature must read t=<unix seconds>,v1=<64 hex digits of HMAC-SHA256 of "<t>.<body>">.',
  stale: 'The signature timestamp is more than five minutes off; sign each request when you send it.',
  mismatch:
    'The signature does not match this body: sign "<t>.<the exact body sent>" with the webhook secret (locally, carrierSecret in .local/endpoints.json).',
};

/** Carriers post tracking events here: verified by signature, validated, then buffered in SQS. */
export const handler = apiHandler(routes.carrierEvents, async ({ rawBody, headers }) => {
  const check = checkSignature(headers['x-conveyor-signature'], rawBody ?? '', secret);
  if (check !== 'valid') {
    logger.warn('Carrier event refused', { signature: check });
    throw new Unauthenticated(SIGNATURE_ADVICE[check]);
  }
  const parsed = CarrierEvent.safeParse(readBody({ body: rawBody, isBase64Encoded: false, headers }));
  if (!parsed.success) {
    throw new ValidationFailed('The carrier event is not valid; see details.', {
      details: parsed.error.issues.map((issue) => ({ path: ['body', ...issue.path.map(String)].join('.'), message: issue.message })),
    });
  }
  await queue.enqueue(parsed.data);
  return { status: 202, body: { eventId: parsed.data.eventId, queued: true } };
});
