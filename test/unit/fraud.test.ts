import { describe, expect, it } from 'vitest';
import { assessFraud, type FraudSignals } from '../../lambdas/domain/fraud.js';
import { money } from '../../lambdas/domain/money.js';

const ordinary: FraudSignals = {
  total: money(4999, 'EUR'),
  email: 'ada@example.com',
  paymentToken: 'tok_visa',
  shippingCountry: 'DE',
  previousOrders: 3,
  averageOrderAmount: 4000,
  lastHour: { customer: 1, email: 1, card: 0 },
};

describe('fraud screening', () => {
  it('accepts an ordinary order with no reasons', () => {
    expect(assessFraud(ordinary)).toEqual({ score: 0, reasons: [], decision: 'accept' });
  });

  it('sends the sandbox review token to ops review', () => {
    expect(assessFraud({ ...ordinary, paymentToken: 'tok_fraud_review' })).toMatchObject({
      decision: 'review',
      reasons: ['SANDBOX_REVIEW_TOKEN'],
    });
  });

  it('adds up rules: a disposable email with mismatched countries goes to review', () => {
    const assessment = assessFraud({ ...ordinary, email: 'x@mailinator.com', billingCountry: 'NG' });
    expect(assessment).toEqual({
      score: 60,
      reasons: ['DISPOSABLE_EMAIL_DOMAIN', 'BILLING_SHIPPING_COUNTRY_MISMATCH'],
      decision: 'review',
    });
  });

  it('rejects high risk outright', () => {
    const assessment = assessFraud({ ...ordinary, email: 'x@yopmail.com', lastHour: { customer: 9, email: 9, card: 0 } });
    expect(assessment.decision).toBe('reject');
    expect(assessment.reasons).toContain('ORDER_VELOCITY');
  });

  it('flags a first order of high value and an order far above the customer average', () => {
    expect(assessFraud({ ...ordinary, previousOrders: 0, averageOrderAmount: undefined, total: money(150_000, 'EUR') }).reasons).toEqual([
      'HIGH_VALUE_FIRST_ORDER',
    ]);
    expect(assessFraud({ ...ordinary, total: money(40_000, 'EUR') }).reasons).toEqual(['ORDER_VALUE_FAR_ABOVE_CUSTOMER_AVERAGE']);
  });
});
