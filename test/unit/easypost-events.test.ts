import { describe, expect, it } from 'vitest';
import {
  carrierEventFromEasyPost,
  checkEasyPostSignature,
  EASYPOST_STATUSES,
  signEasyPostPayload,
} from '../../lambdas/adapters/easypost-events.js';
import { trackerUpdated } from '../fixtures/easypost-fake.js';

describe('EasyPost webhook signature (X-Hmac-Signature)', () => {
  const body = JSON.stringify(trackerUpdated('in_transit'));

  it('accepts a body signed with the current or the previous secret', () => {
    expect(checkEasyPostSignature(signEasyPostPayload(body, 'whsec-current'), body, ['whsec-current', 'whsec-previous'])).toBe('valid');
    expect(checkEasyPostSignature(signEasyPostPayload(body, 'whsec-previous'), body, ['whsec-current', 'whsec-previous'])).toBe('valid');
  });

  it('signs as hmac-sha256-hex=<hex> of the raw body, with the secret NFKD-normalized', () => {
    // A known vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
    expect(signEasyPostPayload('The quick brown fox jumps over the lazy dog', 'key')).toBe(
      'hmac-sha256-hex=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
    // "ﬁ" (a ligature) normalizes to "fi" under NFKD.
    expect(signEasyPostPayload(body, 'ﬁle')).toBe(signEasyPostPayload(body, 'file'));
  });

  it('refuses a missing signature, another secret, a changed body and a bare hex digest', () => {
    const signature = signEasyPostPayload(body, 'whsec-current');
    expect(checkEasyPostSignature(undefined, body, ['whsec-current'])).toBe('missing');
    expect(checkEasyPostSignature(signEasyPostPayload(body, 'forged'), body, ['whsec-current'])).toBe('mismatch');
    expect(checkEasyPostSignature(signature, body.replace('in_transit', 'delivered'), ['whsec-current'])).toBe('mismatch');
    expect(checkEasyPostSignature(signature.replace('hmac-sha256-hex=', ''), body, ['whsec-current'])).toBe('mismatch');
    expect(checkEasyPostSignature(signature, body, [])).toBe('mismatch');
  });

  it('accepts a body whose integer weights EasyPost signed as floats (as its own client does)', () => {
    const sent = '{"result":{"weight": 12}}';
    expect(checkEasyPostSignature(signEasyPostPayload('{"result":{"weight": 12.0}}', 's'), sent, ['s'])).toBe('valid');
  });
});

describe('EasyPost events as carrier events', () => {
  it.each([
    ['in_transit', 'IN_TRANSIT'],
    ['out_for_delivery', 'OUT_FOR_DELIVERY'],
    ['available_for_pickup', 'OUT_FOR_DELIVERY'],
    ['delivered', 'DELIVERED'],
    ['return_to_sender', 'EXCEPTION'],
    ['failure', 'EXCEPTION'],
    ['error', 'EXCEPTION'],
    ['cancelled', 'EXCEPTION'],
  ])('maps tracker status %s to %s, at the latest scan, with the Event id', (status, expected) => {
    expect(carrierEventFromEasyPost(trackerUpdated(status))).toEqual({
      kind: 'event',
      event: {
        eventId: 'evt_5f4d1c0a2d1511f0b5364ffbb3e7a1f1',
        trackingNumber: '9405500105440232839154',
        status: expected,
        occurredAt: '2026-11-27T08:58:00.000Z',
      },
    });
  });

  it('ignores pre_transit, unknown and statuses EasyPost may add later', () => {
    for (const status of ['pre_transit', 'unknown', 'teleported'])
      expect(carrierEventFromEasyPost(trackerUpdated(status))).toMatchObject({
        kind: 'ignored',
        eventId: 'evt_5f4d1c0a2d1511f0b5364ffbb3e7a1f1',
      });
    expect(EASYPOST_STATUSES.pre_transit).toBe('ignore');
  });

  it('ignores events that are not tracking updates', () => {
    const created = { ...trackerUpdated('in_transit'), description: 'tracker.created' };
    const batch = { id: 'evt_1', object: 'Event', description: 'batch.updated', result: { object: 'Batch' } };
    expect(carrierEventFromEasyPost(created)).toMatchObject({ kind: 'ignored' });
    expect(carrierEventFromEasyPost(batch)).toMatchObject({ kind: 'ignored' });
  });

  it("takes the tracker's updated_at when it lists no scans, and normalizes offsets to UTC", () => {
    const bare = carrierEventFromEasyPost(trackerUpdated('delivered', { tracking_details: [] }));
    const offset = carrierEventFromEasyPost(
      trackerUpdated('delivered', { tracking_details: [{ status: 'delivered', datetime: '2026-11-27T10:15:00-08:00' }] }),
    );
    expect(bare).toMatchObject({ event: { occurredAt: '2026-11-27T09:00:04.000Z' } });
    expect(offset).toMatchObject({ event: { occurredAt: '2026-11-27T18:15:00.000Z' } });
  });

  it('calls malformed what is not an Event, or a tracking update without a usable tracker', () => {
    expect(carrierEventFromEasyPost({ hello: 'world' })).toMatchObject({ kind: 'malformed' });
    expect(carrierEventFromEasyPost([])).toMatchObject({ kind: 'malformed' });
    expect(carrierEventFromEasyPost(trackerUpdated('in_transit', { tracking_code: undefined }))).toMatchObject({
      kind: 'malformed',
      issues: [{ path: 'body.result.tracking_code' }],
    });
    expect(carrierEventFromEasyPost(trackerUpdated('in_transit', { tracking_code: 'not a\u0000code' }))).toMatchObject({
      kind: 'malformed',
    });
    expect(carrierEventFromEasyPost(trackerUpdated('in_transit', { updated_at: 'yesterday', tracking_details: [] }))).toMatchObject({
      kind: 'malformed',
    });
  });
});
