import { createHash } from 'node:crypto';
import type { Money } from './money.js';

/** What the screening knows about an order and its customer's recent history. */
export interface FraudSignals {
  total: Money;
  email: string;
  paymentToken: string;
  shippingCountry: string;
  billingCountry?: string;
  /** The customer's earlier orders (at this storefront): how many, and their average total. */
  previousOrders: number;
  averageOrderAmount?: number;
  /** Orders placed in the last hour with the same customer id, email, and payment token (this one included). */
  lastHour: { customer: number; email: number; card: number };
}

export type FraudDecision = 'accept' | 'review' | 'reject';

export interface FraudAssessment {
  score: number;
  reasons: string[];
  decision: FraudDecision;
}

export const DISPOSABLE_EMAIL_DOMAINS = new Set([
  'mailinator.com',
  'guerrillamail.com',
  '10minutemail.com',
  'tempmail.com',
  'trashmail.com',
  'yopmail.com',
  'sharklasers.com',
  'throwawaymail.com',
]);

/** Thresholds: a score of 40 or more goes to ops review, 80 or more is rejected outright. */
export const REVIEW_AT = 40;
export const REJECT_AT = 80;
const VELOCITY_LIMIT = 5;
const FIRST_ORDER_HIGH_VALUE = 100_000;

/** Rules with reasons and a score; each rule adds points, the sum decides. */
export function assessFraud(signals: FraudSignals): FraudAssessment {
  const hits: [string, number][] = [];
  if (signals.paymentToken === 'tok_fraud_review') hits.push(['SANDBOX_REVIEW_TOKEN', REVIEW_AT]);
  const domain = signals.email.split('@').at(-1)?.toLowerCase() ?? '';
  if (DISPOSABLE_EMAIL_DOMAINS.has(domain)) hits.push(['DISPOSABLE_EMAIL_DOMAIN', 40]);
  if (signals.billingCountry && signals.billingCountry !== signals.shippingCountry) hits.push(['BILLING_SHIPPING_COUNTRY_MISMATCH', 20]);
  if (signals.previousOrders === 0 && signals.total.amount >= FIRST_ORDER_HIGH_VALUE) hits.push(['HIGH_VALUE_FIRST_ORDER', 30]);
  if (signals.previousOrders > 0 && signals.averageOrderAmount && signals.total.amount > 5 * signals.averageOrderAmount) {
    hits.push(['ORDER_VALUE_FAR_ABOVE_CUSTOMER_AVERAGE', 25]);
  }
  const { customer, email, card } = signals.lastHour;
  if (Math.max(customer, email, card) > VELOCITY_LIMIT) hits.push(['ORDER_VELOCITY', 45]);
  const score = Math.min(
    100,
    hits.reduce((sum, [, points]) => sum + points, 0),
  );
  const decision: FraudDecision = score >= REJECT_AT ? 'reject' : score >= REVIEW_AT ? 'review' : 'accept';
  return { score, reasons: hits.map(([reason]) => reason), decision };
}

/** One hourly fraud velocity counter: orders per customer, email or card (hashed: no PII in keys). */
export interface VelocityWindow {
  kind: 'CUSTOMER' | 'EMAIL' | 'CARD';
  subject: string;
  hour: string;
}

const hash = (value: string) => createHash('sha256').update(value.toLowerCase()).digest('hex').slice(0, 32);

/** Sandbox tokens are shared by every test customer, so they say nothing about one card's velocity. */
const SHARED_TEST_TOKEN = /^tok_[a-z_]+$/;

/** The velocity windows an order counts towards: its customer, email and card, in the hour it was placed. */
export function velocityWindows(order: {
  storefrontId: string;
  customer: { id: string; email: string };
  /** Absent once the order was authorized (the token is not kept): no card window then. */
  paymentToken?: string;
  createdAt: string;
}): { customer: VelocityWindow; email: VelocityWindow; card?: VelocityWindow } {
  const hour = order.createdAt.slice(0, 13);
  return {
    customer: { kind: 'CUSTOMER', subject: hash(`${order.storefrontId}#${order.customer.id}`), hour },
    email: { kind: 'EMAIL', subject: hash(order.customer.email), hour },
    card:
      order.paymentToken === undefined || SHARED_TEST_TOKEN.test(order.paymentToken)
        ? undefined
        : { kind: 'CARD', subject: hash(order.paymentToken), hour },
  };
}
