import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GatewayRefused, GatewayTimeout, PaymentDeclined } from '../domain/errors.js';
import type { Money } from '../domain/money.js';
import type { Authorization, Capture, PaymentGateway, Refund } from '../domain/payments.js';
import { type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { keys } from './keys.js';

/** Tokens the sandbox understands (API.md §Local mode); anything else is declined as an invalid token. */
const APPROVED = new Set(['tok_visa', 'tok_fraud_review', 'tok_mastercard', 'tok_amex']);
const DECLINED: Record<string, string> = { tok_declined: 'card_declined', tok_insufficient_funds: 'insufficient_funds' };

const idFor = (prefix: string, key: string) => `${prefix}_${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;

export interface SandboxPayment {
  orderId: string;
  authorizationId: string;
  status: 'AUTHORIZED' | 'CAPTURED' | 'VOIDED';
  amount: Money;
  captureId?: string;
  refunds?: Record<string, Money>;
}

/**
 * A deterministic payment gateway for development and tests. It keeps its own records (as a real
 * gateway would on its side) in Conveyor's table (keys.authorization), so a retried call with the
 * same idempotency key returns the first result and never charges twice.
 */
export class SandboxGateway implements PaymentGateway {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  async authorize(request: { orderId: string; amount: Money; token: string; idempotencyKey: string }): Promise<Authorization> {
    const declined =
      DECLINED[request.token] ?? (APPROVED.has(request.token) || request.token === 'tok_gateway_timeout' ? undefined : 'invalid_token');
    if (declined) throw new PaymentDeclined(declined);
    const authorizationId = idFor('auth', request.idempotencyKey);
    try {
      await this.db.send(
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
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The same idempotency key again: the first authorization stands.
    }
    // The timeout token authorizes on the gateway's side but never answers: the outcome is unknown to the caller.
    if (request.token === 'tok_gateway_timeout') throw new GatewayTimeout();
    return { authorizationId, amount: request.amount };
  }

  async capture(request: { orderId: string; authorizationId: string; amount: Money; idempotencyKey: string }): Promise<Capture> {
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

  async void(request: { orderId: string; authorizationId: string; idempotencyKey: string }): Promise<void> {
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
  async refund(request: { orderId: string; captureId: string; amount: Money; idempotencyKey: string }): Promise<Refund> {
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

  async openAuthorizations(orderId: string): Promise<string[]> {
    return (await this.paymentsOf(orderId)).filter((payment) => payment.status === 'AUTHORIZED').map((payment) => payment.authorizationId);
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
