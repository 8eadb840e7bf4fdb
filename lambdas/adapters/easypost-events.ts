import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { CarrierEvent, type CarrierStatus } from '../domain/tracking.js';

/**
 * EasyPost's webhooks (docs.easypost.com/docs/webhooks, /docs/events, /docs/trackers): every update is an Event
 * `{ id: "evt_…", object: "Event", description: "tracker.updated", result: Tracker }` POSTed to the webhook URL,
 * retried until the URL answers 2xx. With a `webhook_secret` set, EasyPost signs it in `X-Hmac-Signature:
 * hmac-sha256-hex=<hex HMAC-SHA256 of the raw body, keyed with the secret NFKD-normalized>` — as the official
 * Node client's `validateWebhook` checks it (github.com/EasyPost/easypost-node, src/utils/util.ts).
 */
export const EASYPOST_SIGNATURE_HEADER = 'x-hmac-signature';
const SIGNATURE_PREFIX = 'hmac-sha256-hex=';

export type EasyPostSignatureCheck = 'valid' | 'missing' | 'mismatch';

/** The header EasyPost sends for a body signed with `secret` (what a test, or EasyPost, sends). */
export function signEasyPostPayload(rawBody: string, secret: string): string {
  return `${SIGNATURE_PREFIX}${createHmac('sha256', Buffer.from(secret.normalize('NFKD'), 'utf8'))
    .update(rawBody, 'utf8')
    .digest('hex')}`;
}

/**
 * Whether the body was signed with one of the accepted secrets (current and previous while one rotates).
 * The official client also checks the body with `"weight": 12` rewritten as `"weight": 12.0` (EasyPost signs
 * its own float formatting; easypost-node issue 467), which only matters for a body re-serialized on the way:
 * both forms are accepted, each needing the secret.
 */
export function checkEasyPostSignature(header: string | undefined, rawBody: string, secrets: readonly string[]): EasyPostSignatureCheck {
  if (!header) return 'missing';
  const given = Buffer.from(header.trim(), 'utf8');
  const bodies = new Set([rawBody, rawBody.replace(/("weight":\s*)(\d+)(\s*)(?=,|\})/g, '$1$2.0')]);
  for (const secret of secrets)
    for (const body of bodies) {
      const expected = Buffer.from(signEasyPostPayload(body, secret), 'utf8');
      if (expected.length === given.length && timingSafeEqual(expected, given)) return 'valid';
    }
  return 'mismatch';
}

/**
 * Tracker statuses (docs.easypost.com/docs/trackers) as Conveyor's. `pre_transit` (label made, not yet scanned) and
 * `unknown` say nothing Conveyor does not know: ignored. `available_for_pickup` (waiting at a post office or locker)
 * is the last step before the customer has it, like a parcel out for delivery: OUT_FOR_DELIVERY, not DELIVERED,
 * so the delivered email waits for the pickup. A return, a failure, an error or a cancelled tracker needs ops: EXCEPTION.
 */
export const EASYPOST_STATUSES: Record<string, CarrierStatus | 'ignore'> = {
  unknown: 'ignore',
  pre_transit: 'ignore',
  in_transit: 'IN_TRANSIT',
  out_for_delivery: 'OUT_FOR_DELIVERY',
  available_for_pickup: 'OUT_FOR_DELIVERY',
  delivered: 'DELIVERED',
  return_to_sender: 'EXCEPTION',
  failure: 'EXCEPTION',
  error: 'EXCEPTION',
  cancelled: 'EXCEPTION',
};

const Timestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be a date and time');

/** What Conveyor reads of an EasyPost Event; everything else in it is let through unread. */
export const EasyPostEvent = z.looseObject({
  id: z.string().min(1),
  object: z.literal('Event'),
  description: z.string(),
  result: z.unknown(),
});

const EasyPostTracker = z.looseObject({
  object: z.literal('Tracker'),
  tracking_code: z.string().min(1),
  status: z.string(),
  updated_at: Timestamp,
  tracking_details: z.array(z.looseObject({ datetime: Timestamp.nullish() })).nullish(),
});

export type EasyPostEventOutcome =
  | { kind: 'event'; event: CarrierEvent }
  | { kind: 'ignored'; eventId: string; reason: string }
  | { kind: 'malformed'; issues: { path: string; message: string }[] };

const issuesOf = (error: z.ZodError, prefix: string) =>
  error.issues.map((issue) => ({ path: [prefix, ...issue.path.map(String)].join('.'), message: issue.message }));

/**
 * An EasyPost Event as a Conveyor carrier event: `tracker.updated` with a status Conveyor tracks becomes one (the
 * Event's id is the event id, so EasyPost's retries are duplicates TrackCarrier drops); any other event or status is
 * ignored. The time is the tracker's latest scan, or its `updated_at` when it lists none.
 */
export function carrierEventFromEasyPost(body: unknown): EasyPostEventOutcome {
  const envelope = EasyPostEvent.safeParse(body);
  if (!envelope.success) return { kind: 'malformed', issues: issuesOf(envelope.error, 'body') };
  const eventId = envelope.data.id;
  if (envelope.data.description !== 'tracker.updated')
    return { kind: 'ignored', eventId, reason: `${envelope.data.description} is not a tracking update` };
  const tracker = EasyPostTracker.safeParse(envelope.data.result);
  if (!tracker.success) return { kind: 'malformed', issues: issuesOf(tracker.error, 'body.result') };
  const status = EASYPOST_STATUSES[tracker.data.status] ?? 'ignore';
  if (status === 'ignore') return { kind: 'ignored', eventId, reason: `tracker status ${tracker.data.status} is not tracked` };
  const scans = (tracker.data.tracking_details ?? []).flatMap((detail) => (detail.datetime ? [Date.parse(detail.datetime)] : []));
  const occurredAt = new Date(scans.length ? Math.max(...scans) : Date.parse(tracker.data.updated_at)).toISOString();
  const event = CarrierEvent.safeParse({ eventId, trackingNumber: tracker.data.tracking_code, status, occurredAt });
  if (!event.success) return { kind: 'malformed', issues: issuesOf(event.error, 'body') };
  return { kind: 'event', event: event.data };
}
