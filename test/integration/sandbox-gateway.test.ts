import { describe, expect, it } from 'vitest';
import { SandboxGateway } from '../../lambdas/adapters/sandbox-gateway.js';
import { GatewayTimeout, PaymentDeclined } from '../../lambdas/domain/errors.js';
import { money } from '../../lambdas/domain/money.js';
import { outstanding } from '../../lambdas/domain/payments.js';
import { cloud, documentClient } from './client.js';

const gateway = new SandboxGateway(cloud.tableName, documentClient);
let orders = 0;
const orderId = () => `ord_sandbox${Date.now().toString(36)}${++orders}`;

describe('sandbox payment gateway (records in DynamoDB Local)', () => {
  it('authorizes, captures and refunds idempotently, never beyond the capture', async () => {
    const id = orderId();
    const authorization = await gateway.authorize({
      orderId: id,
      amount: money(1000, 'EUR'),
      token: 'tok_visa',
      idempotencyKey: `${id}:authorize`,
    });
    expect(
      (await gateway.authorize({ orderId: id, amount: money(1000, 'EUR'), token: 'tok_visa', idempotencyKey: `${id}:authorize` }))
        .authorizationId,
    ).toBe(authorization.authorizationId);
    const capture = await gateway.capture({
      orderId: id,
      authorizationId: authorization.authorizationId,
      amount: money(1000, 'EUR'),
      idempotencyKey: `${id}:capture`,
    });
    await gateway.capture({
      orderId: id,
      authorizationId: authorization.authorizationId,
      amount: money(1000, 'EUR'),
      idempotencyKey: `${id}:capture`,
    });

    await gateway.refund({ orderId: id, captureId: capture.captureId, amount: money(600, 'EUR'), idempotencyKey: `${id}:refund:1` });
    await gateway.refund({ orderId: id, captureId: capture.captureId, amount: money(600, 'EUR'), idempotencyKey: `${id}:refund:1` });
    await expect(
      gateway.refund({ orderId: id, captureId: capture.captureId, amount: money(500, 'EUR'), idempotencyKey: `${id}:refund:2` }),
    ).rejects.toThrow(/exceed/);

    const [payment] = await gateway.paymentsOf(id);
    expect(payment).toMatchObject({ status: 'CAPTURED', refundedAmount: 600 });
    expect(Object.keys(payment?.refunds ?? {})).toHaveLength(1);
  });

  it('declines the decline tokens and unknown tokens', async () => {
    await expect(
      gateway.authorize({ orderId: orderId(), amount: money(1, 'EUR'), token: 'tok_insufficient_funds', idempotencyKey: 'k1' }),
    ).rejects.toEqual(new PaymentDeclined('insufficient_funds'));
    await expect(
      gateway.authorize({ orderId: orderId(), amount: money(1, 'EUR'), token: '4242424242424242', idempotencyKey: 'k2' }),
    ).rejects.toEqual(new PaymentDeclined('invalid_token'));
  });

  it('leaves an authorization open behind a timeout, which void then closes', async () => {
    const id = orderId();
    await expect(
      gateway.authorize({ orderId: id, amount: money(1, 'EUR'), token: 'tok_gateway_timeout', idempotencyKey: `${id}:authorize` }),
    ).rejects.toBeInstanceOf(GatewayTimeout);
    const [open] = await gateway.openAuthorizations(id);

    await gateway.void({ orderId: id, authorizationId: open as string, idempotencyKey: `${id}:void` });

    expect(await gateway.openAuthorizations(id)).toEqual([]);
    await expect(
      gateway.capture({ orderId: id, authorizationId: open as string, amount: money(1, 'EUR'), idempotencyKey: `${id}:capture` }),
    ).rejects.toThrow(/cannot be captured/);
  });

  it('lists a capture with what is left to refund until it is refunded in full', async () => {
    const id = orderId();
    const authorization = await gateway.authorize({ orderId: id, amount: money(800, 'EUR'), token: 'tok_visa', idempotencyKey: `${id}:a` });
    const capture = await gateway.capture({ orderId: id, ...authorization, idempotencyKey: `${id}:c` });
    await gateway.refund({ orderId: id, captureId: capture.captureId, amount: money(300, 'EUR'), idempotencyKey: `${id}:r1` });

    expect(outstanding(await gateway.captures(id))).toEqual([{ captureId: capture.captureId, amount: money(500, 'EUR') }]);
    await gateway.refund({ orderId: id, captureId: capture.captureId, amount: money(500, 'EUR'), idempotencyKey: `${id}:r2` });
    expect(outstanding(await gateway.captures(id))).toEqual([]);
    // Each refund is listed, so a caller that lost a refund's answer still learns of it.
    expect((await gateway.captures(id))[0]?.refunds.map((refund) => refund.amount.amount).sort((a, b) => a - b)).toEqual([300, 500]);
  });
});

describe('sandbox payment gateway with faults (SANDBOX_GATEWAY_FAULT_RATE)', () => {
  /** A gateway whose every call times out, at the moment the given draws say: first "a fault?", then "after?". */
  const faulty = (when: 'before' | 'after', faults: { operation: string; when: string }[]) => {
    const draws = [0, when === 'after' ? 0.9 : 0.1];
    let draw = 0;
    return new SandboxGateway(cloud.tableName, documentClient, {
      rate: 1,
      random: () => draws[draw++ % 2] as number,
      onFault: (fault) => faults.push(fault),
    });
  };

  it('times out after the capture took effect: the caller hears GatewayTimeout, and a retry with the same key finds the capture', async () => {
    // Arrange: an authorization, and a gateway that captures but loses the answer.
    const id = orderId();
    const authorization = await gateway.authorize({ orderId: id, amount: money(700, 'EUR'), token: 'tok_visa', idempotencyKey: `${id}:a` });
    const faults: { operation: string; when: string }[] = [];

    // Act
    const lost = faulty('after', faults).capture({ orderId: id, ...authorization, idempotencyKey: `${id}:capture` });

    // Assert: the caller does not know, the gateway does, and the retry returns the same capture.
    await expect(lost).rejects.toBeInstanceOf(GatewayTimeout);
    expect(faults).toEqual([{ operation: 'capture', when: 'after' }]);
    const [payment] = await gateway.paymentsOf(id);
    expect(payment?.status).toBe('CAPTURED');
    const retried = await gateway.capture({ orderId: id, ...authorization, idempotencyKey: `${id}:capture` });
    expect(retried.captureId).toBe(payment?.captureId);
  });

  it('times out before acting: nothing happened on the gateway', async () => {
    const id = orderId();
    const faults: { operation: string; when: string }[] = [];

    await expect(
      faulty('before', faults).authorize({ orderId: id, amount: money(5, 'EUR'), token: 'tok_visa', idempotencyKey: `${id}:a` }),
    ).rejects.toBeInstanceOf(GatewayTimeout);

    expect(faults).toEqual([{ operation: 'authorize', when: 'before' }]);
    expect(await gateway.paymentsOf(id)).toEqual([]);
  });
});
