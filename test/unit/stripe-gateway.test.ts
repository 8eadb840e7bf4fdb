import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STRIPE_TIMEOUT_MS, StripeGateway } from '../../lambdas/adapters/stripe-gateway.js';
import { GatewayRefused, GatewayTimeout, PaymentDeclined } from '../../lambdas/domain/errors.js';
import { money } from '../../lambdas/domain/money.js';
import { outstanding } from '../../lambdas/domain/payments.js';
import { StripeFake } from '../fixtures/stripe-fake.js';

const fake = new StripeFake();
let gateway: StripeGateway;
let baseUrl: string;

describe('Stripe gateway adapter (against a local fake of the Stripe API)', () => {
  beforeAll(async () => {
    baseUrl = await fake.start();
    gateway = new StripeGateway({ apiKey: 'sk_test_fake', baseUrl, timeoutMs: 300 });
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.failing = false;
  });

  it('authorizes with manual capture, then captures once', async () => {
    const authorization = await gateway.authorize({
      orderId: 'ord_1',
      amount: money(4157, 'EUR'),
      token: 'pm_card_visa',
      idempotencyKey: 'ord_1:authorize',
    });
    const capture = await gateway.capture({
      orderId: 'ord_1',
      authorizationId: authorization.authorizationId,
      amount: money(4157, 'EUR'),
      idempotencyKey: 'ord_1:capture',
    });

    expect(fake.intents.get(authorization.authorizationId)).toMatchObject({
      amount: 4157,
      currency: 'eur',
      status: 'succeeded',
      metadata: { orderId: 'ord_1' },
    });
    expect(capture.captureId).toMatch(/^ch_/);
  });

  it('never creates a second PaymentIntent for a retried authorization', async () => {
    const before = fake.intents.size;
    const request = { orderId: 'ord_2', amount: money(100, 'EUR'), token: 'pm_card_visa', idempotencyKey: 'ord_2:authorize' };

    const first = await gateway.authorize(request);
    const retried = await gateway.authorize(request);

    expect(retried.authorizationId).toBe(first.authorizationId);
    expect(fake.intents.size).toBe(before + 1);
  });

  it('reports card errors as PaymentDeclined with the decline code', async () => {
    await expect(
      gateway.authorize({
        orderId: 'ord_3',
        amount: money(100, 'EUR'),
        token: 'pm_card_chargeDeclinedInsufficientFunds',
        idempotencyKey: 'ord_3:authorize',
      }),
    ).rejects.toEqual(new PaymentDeclined('insufficient_funds'));
  });

  it('reports an answer that is not JSON (a proxy page) as GatewayTimeout when 5xx or 2xx, and as a refusal when 4xx', async () => {
    const authorize = () =>
      gateway.authorize({ orderId: 'ord_9', amount: money(100, 'EUR'), token: 'pm_card_visa', idempotencyKey: 'ord_9:authorize' });
    try {
      fake.garbled = 502;
      await expect(authorize()).rejects.toBeInstanceOf(GatewayTimeout);
      fake.garbled = 200;
      await expect(authorize()).rejects.toBeInstanceOf(GatewayTimeout);
      fake.garbled = 403;
      await expect(authorize()).rejects.toBeInstanceOf(GatewayRefused);
    } finally {
      fake.garbled = undefined;
    }
    expect(STRIPE_TIMEOUT_MS).toBeLessThan(10_000);
  });

  it('reports a timeout or a 5xx as GatewayTimeout, and the open authorization is found and voided', async () => {
    await expect(
      gateway.authorize({ orderId: 'ord_4', amount: money(100, 'EUR'), token: 'pm_fake_hang', idempotencyKey: 'ord_4:authorize' }),
    ).rejects.toBeInstanceOf(GatewayTimeout);
    fake.failing = true;
    await expect(gateway.openAuthorizations('ord_4')).rejects.toBeInstanceOf(GatewayTimeout);
    fake.failing = false;

    const open = await gateway.openAuthorizations('ord_4');
    expect(open).toHaveLength(1);
    await gateway.void({ orderId: 'ord_4', authorizationId: open[0] as string, idempotencyKey: 'ord_4:void' });

    expect(fake.intents.get(open[0] as string)?.status).toBe('canceled');
    expect(await gateway.openAuthorizations('ord_4')).toEqual([]);
  });

  it('refunds a capture once per idempotency key', async () => {
    const authorization = await gateway.authorize({
      orderId: 'ord_5',
      amount: money(900, 'EUR'),
      token: 'pm_card_visa',
      idempotencyKey: 'ord_5:authorize',
    });
    const capture = await gateway.capture({
      orderId: 'ord_5',
      authorizationId: authorization.authorizationId,
      amount: money(900, 'EUR'),
      idempotencyKey: 'ord_5:capture',
    });
    const before = fake.refunds.length;

    const refund = await gateway.refund({
      orderId: 'ord_5',
      captureId: capture.captureId,
      amount: money(300, 'EUR'),
      idempotencyKey: 'ord_5:refund:1',
    });
    await gateway.refund({ orderId: 'ord_5', captureId: capture.captureId, amount: money(300, 'EUR'), idempotencyKey: 'ord_5:refund:1' });

    expect(refund.refundId).toMatch(/^re_/);
    expect(fake.refunds.length).toBe(before + 1);
  });

  it('finds a capture whose answer was lost, with what is left to refund, until it is refunded in full', async () => {
    // Arrange: an order captured (as if the answer never came back), then partly refunded.
    const authorization = await gateway.authorize({
      orderId: 'ord_6',
      amount: money(1200, 'EUR'),
      token: 'pm_card_visa',
      idempotencyKey: 'ord_6:authorize',
    });
    const capture = await gateway.capture({ ...authorization, orderId: 'ord_6', idempotencyKey: 'ord_6:capture' });
    await gateway.refund({ orderId: 'ord_6', captureId: capture.captureId, amount: money(200, 'EUR'), idempotencyKey: 'ord_6:refund:1' });

    // Act and assert: 1000 is outstanding; after refunding it, nothing is.
    expect(outstanding(await gateway.captures('ord_6'))).toEqual([{ captureId: capture.captureId, amount: money(1000, 'EUR') }]);
    await gateway.refund({ orderId: 'ord_6', captureId: capture.captureId, amount: money(1000, 'EUR'), idempotencyKey: 'ord_6:refund:2' });
    expect(outstanding(await gateway.captures('ord_6'))).toEqual([]);
    // Each refund is listed, so a caller that lost a refund's answer still learns of it.
    expect((await gateway.captures('ord_6'))[0]?.refunds.map((refund) => refund.amount.amount).sort((a, b) => a - b)).toEqual([200, 1000]);
    expect(outstanding(await gateway.captures('ord_unknown'))).toEqual([]);
  });

  it('asks for its key before each call (the SecretStore, which caches it), so a rotated key is used without a restart', async () => {
    // Arrange: a key source that returns a stale key first, then the one the fake accepts.
    const keys = ['sk_test_revoked', 'sk_test_fake'];
    const asked: string[] = [];
    const rotating = new StripeGateway({
      apiKey: async () => {
        const key = keys.shift() ?? 'sk_test_fake';
        asked.push(key);
        return key;
      },
      baseUrl,
      timeoutMs: 300,
    });

    // Act
    const refused = rotating.openAuthorizations('ord_rotating');
    await expect(refused).rejects.toThrow(/Stripe refused GET .* \(401\): Invalid API Key/);
    const found = await rotating.openAuthorizations('ord_rotating');

    // Assert
    expect(found).toEqual([]);
    expect(asked).toEqual(['sk_test_revoked', 'sk_test_fake']);
  });
});
