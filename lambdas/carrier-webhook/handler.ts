import { SqsCarrierEventQueue } from '../adapters/sqs-carrier-event-queue.js';
import { routes } from '../api/routes.js';
import { Unauthenticated, ValidationFailed } from '../domain/errors.js';
import { CarrierEvent, checkSignature, type SignatureCheck } from '../domain/tracking.js';
import { requireEnv } from '../shared/config.js';
import { apiHandler, readBody } from '../shared/http.js';
import { logger } from '../shared/observability.js';
import { secrets } from '../shared/secrets.js';

const queue = new SqsCarrierEventQueue(requireEnv('CARRIER_EVENTS_QUEUE_URL'));
const secretArn = requireEnv('CARRIER_WEBHOOK_SECRET_ARN');

/** The first of the secret's accepted values (current, then previous while it rotates) the signature matches, or why none does. */
async function verify(header: string | undefined, rawBody: string): Promise<SignatureCheck> {
  let check: SignatureCheck = 'mismatch';
  for (const secret of await secrets().accepted(secretArn)) {
    check = checkSignature(header, rawBody, secret);
    if (check !== 'mismatch') return check;
  }
  return check;
}

const SIGNATURE_ADVICE: Record<Exclude<SignatureCheck, 'valid'>, string> = {
  missing: 'Send X-Conveyor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with your secret>.',
  malformed: 'X-Conveyor-Signature must read t=<unix seconds>,v1=<64 hex digits of HMAC-SHA256 of "<t>.<body>">.',
  stale: 'The signature timestamp is more than five minutes off; sign each request when you send it.',
  mismatch:
    'The signature does not match this body: sign "<t>.<the exact body sent>" with the webhook secret (locally, carrierSecret in .local/endpoints.json).',
};

/**
 * Carriers post tracking events here: verified by signature (against the webhook secret's current and previous
 * values, so a rotation refuses nobody), validated, then buffered in SQS.
 */
export const handler = apiHandler(routes.carrierEvents, async ({ rawBody, headers }) => {
  const check = await verify(headers['x-conveyor-signature'], rawBody ?? '');
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
