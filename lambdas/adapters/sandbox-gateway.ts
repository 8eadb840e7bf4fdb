import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GatewayRefused, GatewayTimeout, PaymentDeclined } from '../domain/errors.js';
import type { Money } from '../domain/money.js';
import type { Authorization, Capture, CaptureRecord, PaymentGateway, Refund } from '../domain/payments.js';
import { conditionalWrite, type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { keys } from './keys.js';

/** Tokens the sandbox understands (API.md §Local mode); anything else is declined as an invalid token. */
const APPROVED = new Set(['tok_visa', 'tok_fraud_review', 'tok_mastercard', 'tok_amex']);
const DECLINED: Record<string, string> = { tok_declined: 'card_declined', tok_insufficient_funds: 'insufficient_funds' };

/** The environment variable that turns the sandbox's fault injection on (a rate from 0 to 1); the local cloud sets it. */
export const SANDBOX_GATEWAY_FAULT_RATE = 'SANDBOX_GATEWAY_FAULT_RATE';
/** What the sandbox logs for each fault it injects (the local cloud counts these lines). */
export const SANDBOX_GATEWAY_FAULT_MESSAGE = 'Sandbox gateway fault injected';

/** A fault the sandbox injected: the operation, and whether the gateway had acted before the caller lost the answer. */
export interface SandboxFault {
  operation: 'authorize' | 'capture' | 'void' | 'refund' | 'openAuthorizations' | 'captures';
  when: 'before' | 'after';
}

export interface SandboxFaults {
  /** The share of calls (0–1) that time out. */
  rate: number;
  /** Told of every fault, so the function can log it. */
  onFault?: (fault: SandboxFault) => void;
  random?: () => number;
}

const idFor = (prefix: string, key: string) => `${prefix}_${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;

export interface SandboxPayment {
  orderId: string;
  authorizationId: string;
  status: 'AUTHORIZED' | 'CAPTURED' | 'VOIDED';
  amount: Money;
  captureId?: string;
  refunds?: Record<string, Money>;
  /** The sum of the refunds, in the payment's minor units. */
  refundedAmount?: number;
}

/**
 * A deterministic payment gateway for development and tests. It keeps its own records (as a real
 * gateway would on its side) in Conveyor's table (keys.authorization), so a retried call with the
 * same idempotency key returns the first result and never charges twice.
 *
 * With `faults`, a share of calls time out as a real gateway's do now and then: half before the gateway
 * acted, half after (the charge, capture, void or refund happened, but the caller never hears of it).
 * Both are GatewayTimeout, so callers must retry with the same idempotency key and compensate.
 */
export class SandboxGateway implements PaymentGateway {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
    private readonly faults: SandboxFaults = { rate: 0 },
  ) {}

  /** Runs a call, unless a fault strikes: then it times out, before or after the call took effect. */
  private async withFaults<T>(operation: SandboxFault['operation'], call: () => Promise<T>): Promise<T> {
    const random = this.faults.random ?? Math.random;
    if (this.faults.rate <= 0 || random() >= this.faults.rate) return call();
    const when = random() < 0.5 ? 'before' : 'after';
    // After: the gateway acts (and may answer with a decline, which the caller then does hear), then the answer is lost.
    if (when === 'after') await call();
    this.faults.onFault?.({ operation, when });
    throw new GatewayTimeout(
      `The sandbox gateway timed out on ${operation} (an injected fault, ${SANDBOX_GATEWAY_FAULT_RATE}); retry with the same idempotency key.`,
    );
  }

  authorize(request: { orderId: string; amount: Money; token: string; idempotencyKey: string }): Promise<Authorization> {
    return this.withFaults('authorize', () => this.authorizeNow(request));
  }

  capture(request: { orderId: string; authorizationId: string; amount: Money; idempotencyKey: string }): Promise<Capture> {
    return this.withFaults('capture', () => this.captureNow(request));
  }

  void(request: { orderId: string; authorizationId: string; idempotencyKey: string }): Promise<void> {
    return this.withFaults('void', () => this.voidNow(request));
  }

  refund(request: { orderId: string; captureId: string; amount: Money; idempotencyKey: string }): Promise<Refund> {
    return this.withFaults('refund', () => this.refundNow(request));
  }

  openAuthorizations(orderId: string): Promise<string[]> {
    return this.withFaults('openAuthorizations', async () =>
      (await this.paymentsOf(orderId)).filter((payment) => payment.status === 'AUTHORIZED').map((payment) => payment.authorizationId),
    );
  }

  captures(orderId: string): Promise<CaptureRecord[]> {
    return this.withFaults('captures', async () =>
      (await this.paymentsOf(orderId))
        .filter((payment) => payment.status === 'CAPTURED' && payment.captureId)
        .map((payment) => ({
          captureId: payment.captureId as string,
          amount: payment.amount,
          refunded: { ...payment.amount, amount: payment.refundedAmount ?? 0 },
          refunds: Object.entries(payment.refunds ?? {}).map(([refundId, amount]) => ({ refundId, amount })),
        })),
    );
  }

  private async authorizeNow(request: { orderId: string; amount: Money; token: string; idempotencyKey: string }): Promise<Authorization> {
    const declined =
      DECLINED[request.token] ?? (APPROVED.has(request.token) || request.token === 'tok_gateway_timeout' ? undefined : 'invalid_token');
    if (declined) throw new PaymentDeclined(declined);
    const authorizationId = idFor('auth', request.idempotencyKey);
    // Refused when the same idempotency key came before: the first authorization stands.
    await conditionalWrite(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.authorization(request.orderId, authorizationId),
            orderId: request.orderId,
            authorizationId,
            status: 'AUTHORIZED',
            amount: request.amount,
            refunds: {},
            createdAt: new Date().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    // The timeout token authorizes on the gateway's side but never answers: the outcome is unknown to the caller.
    if (request.token === 'tok_gateway_timeout') throw new GatewayTimeout();
    return { authorizationId, amount: request.amount };
  }

  private async captureNow(request: { orderId: string; authorizationId: string; amount: Money; idempotencyKey: string }): Promise<Capture> {
    const captureId = idFor('cap', request.idempotencyKey);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.authorization(request.orderId, request.authorizationId),
          UpdateExpression: 'SET #status = :captured, captureId = :capture, capturedAt = :now',
          ConditionExpression: '#status = :authorized OR (#status = :captured AND captureId = :capture)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':captured': 'CAPTURED',
            ':authorized': 'AUTHORIZED',
            ':capture': captureId,
            ':now': new Date().toISOString(),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new GatewayRefused(`Authorization ${request.authorizationId} cannot be captured.`, { cause: error });
      throw error;
    }
    return { captureId, amount: request.amount };
  }

  private async voidNow(request: { orderId: string; authorizationId: string; idempotencyKey: string }): Promise<void> {
    const key = keys.authorization(request.orderId, request.authorizationId);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #status = :voided, voidedAt = if_not_exists(voidedAt, :now)',
          ConditionExpression: '#status IN (:authorized, :voided)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':voided': 'VOIDED', ':authorized': 'AUTHORIZED', ':now': new Date().toISOString() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key }));
      if (Item)
        throw new GatewayRefused(`Authorization ${request.authorizationId} is ${Item.status} and cannot be voided.`, { cause: error });
    }
  }

  /** Refunds part or all of a capture, never more than was captured; the same idempotency key refunds once. */
  private async refundNow(request: { orderId: string; captureId: string; amount: Money; idempotencyKey: string }): Promise<Refund> {
    const payment = (await this.paymentsOf(request.orderId)).find((candidate) => candidate.captureId === request.captureId);
    if (!payment) throw new GatewayRefused(`No capture ${request.captureId} for order ${request.orderId}.`);
    const refundId = idFor('re', request.idempotencyKey);
    if (payment.refunds?.[refundId]) return { refundId, amount: payment.refunds[refundId] };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.authorization(request.orderId, payment.authorizationId),
          UpdateExpression: 'SET refunds.#refund = :amount ADD refundedAmount :value',
          ConditionExpression:
            'attribute_not_exists(refunds.#refund) AND (attribute_not_exists(refundedAmount) OR refundedAmount <= :most)',
          ExpressionAttributeNames: { '#refund': refundId },
          ExpressionAttributeValues: {
            ':amount': request.amount,
            ':value': request.amount.amount,
            ':most': payment.amount.amount - request.amount.amount,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const again = (await this.paymentsOf(request.orderId)).find((candidate) => candidate.captureId === request.captureId);
      if (again?.refunds?.[refundId]) return { refundId, amount: again.refunds[refundId] };
      throw new GatewayRefused(`Refunding ${request.amount.amount} would exceed the captured ${payment.amount.amount}.`, { cause: error });
    }
    return { refundId, amount: request.amount };
  }

  /** Every authorization recorded for an order, with its status. */
  async paymentsOf(orderId: string): Promise<SandboxPayment[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :auth)',
        ExpressionAttributeValues: { ':pk': keys.paymentsPartition(orderId), ':auth': keys.authorizationPrefix() },
        ConsistentRead: true,
      }),
    );
    return Items as SandboxPayment[];
  }
}
