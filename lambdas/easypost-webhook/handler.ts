import {
  carrierEventFromEasyPost,
  checkEasyPostSignature,
  EASYPOST_SIGNATURE_HEADER,
  type EasyPostSignatureCheck,
} from '../adapters/easypost-events.js';
import { SqsCarrierEventQueue } from '../adapters/sqs-carrier-event-queue.js';
import { routes } from '../api/routes.js';
import { Unauthenticated, ValidationFailed } from '../domain/errors.js';
import type { CarrierEventQueue } from '../domain/tracking.js';
import { requireEnv } from '../shared/config.js';
import { apiHandler, readBody } from '../shared/http.js';
import { logger } from '../shared/observability.js';
import { secrets } from '../shared/secrets.js';

const SIGNATURE_ADVICE: Record<Exclude<EasyPostSignatureCheck, 'valid'>, string> = {
  missing: 'Send X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the body with the webhook secret>, as EasyPost does.',
  mismatch: "The signature does not match this body: set the webhook's webhook_secret in EasyPost to Conveyor's carrier webhook secret.",
};

/**
 * EasyPost posts its Events here. The signature is checked against every accepted secret (current and previous,
 * so a rotation loses no event); `tracker.updated` events become carrier events on the queue TrackCarrier reads.
 * Events Conveyor does not track are answered 202 and dropped: any other answer makes EasyPost send them again.
 */
export function easyPostEventsHandler(acceptedSecrets: () => Promise<string[]>, queue: CarrierEventQueue) {
  return apiHandler(routes.easyPostCarrierEvents, async ({ rawBody, headers }) => {
    const check = checkEasyPostSignature(headers[EASYPOST_SIGNATURE_HEADER], rawBody ?? '', await acceptedSecrets());
    if (check !== 'valid') {
      logger.warn('EasyPost event refused', { signature: check });
      throw new Unauthenticated(SIGNATURE_ADVICE[check]);
    }
    const outcome = carrierEventFromEasyPost(readBody({ body: rawBody, isBase64Encoded: false, headers }));
    if (outcome.kind === 'malformed')
      throw new ValidationFailed('The EasyPost event is not valid; see details.', { details: outcome.issues });
    if (outcome.kind === 'ignored') {
      logger.info('EasyPost event ignored', { eventId: outcome.eventId, reason: outcome.reason });
      return { status: 202, body: { eventId: outcome.eventId, queued: false } };
    }
    await queue.enqueue(outcome.event);
    return { status: 202, body: { eventId: outcome.event.eventId, queued: true } };
  });
}

const secretArn = requireEnv('CARRIER_WEBHOOK_SECRET_ARN');
export const handler = easyPostEventsHandler(
  () => secrets().accepted(secretArn),
  new SqsCarrierEventQueue(requireEnv('CARRIER_EVENTS_QUEUE_URL')),
);
