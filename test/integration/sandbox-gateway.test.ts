import { describe, expect, it } from 'vitest';
import { SandboxGateway } from '../../lambdas/adapters/sandbox-gateway.js';
import { GatewayTimeout, PaymentDeclined } from '../../lambdas/domain/errors.js';
import { money } from '../../lambdas/domain/money.js';
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
});
