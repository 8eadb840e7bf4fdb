import { describe, expect, it } from 'vitest';
import { SandboxCarrier } from '../../lambdas/adapters/sandbox-carrier.js';
import { addBusinessDays } from '../../lambdas/domain/shipping.js';

const destination = { name: 'Ada', line1: '1 Way', city: 'Berlin', postalCode: '10115', country: 'DE' };

describe('sandbox carrier', () => {
  it('sells one label per idempotency key, with a tracking number and a service per option', async () => {
    const carrier = new SandboxCarrier();
    const request = {
      orderId: 'ord_1',
      option: 'overnight' as const,
      weightGrams: 800,
      destination,
      shippedAt: new Date('2026-11-27T10:00:00Z'),
      idempotencyKey: 'ord_1:label',
    };

    const first = await carrier.buyLabel(request);
    const again = await carrier.buyLabel(request);
    const other = await carrier.buyLabel({ ...request, idempotencyKey: 'ord_2:label' });

    expect(again).toEqual(first);
    expect(other.trackingNumber).not.toBe(first.trackingNumber);
    expect(first).toMatchObject({
      service: 'Overnight',
      trackingNumber: expect.stringMatching(/^CVY\d{12}$/),
      estimatedDeliveryDate: '2026-11-30',
    });
  });

  it('rates by option, started kilogram and destination, with later estimates abroad', async () => {
    const carrier = new SandboxCarrier('DE');
    const shippedAt = new Date('2026-11-24T10:00:00Z'); // a Tuesday
    const home = await carrier.quote({ option: 'standard', weightGrams: 2500, destination, shipFrom: 'DE', shippedAt });
    const abroad = await carrier.quote({
      option: 'standard',
      weightGrams: 2500,
      destination: { ...destination, country: 'FR' },
      shipFrom: 'DE',
      shippedAt,
    });
    const express = await carrier.quote({ option: 'express', weightGrams: 500, destination, shipFrom: 'DE', shippedAt });

    expect(home).toEqual({
      option: 'standard',
      service: 'Ground',
      cost: { amount: 390 + 2 * 80, currency: 'EUR' },
      estimatedDeliveryDate: '2026-11-27',
    });
    expect(abroad.cost.amount).toBe(825);
    expect(abroad.estimatedDeliveryDate).toBe('2026-12-01');
    expect(express.cost.amount).toBe(790);
  });

  it('counts business days, skipping weekends', () => {
    expect(addBusinessDays(new Date('2026-11-27T10:00:00Z'), 1).toISOString().slice(0, 10)).toBe('2026-11-30'); // Friday → Monday
    expect(addBusinessDays(new Date('2026-11-24T10:00:00Z'), 3).toISOString().slice(0, 10)).toBe('2026-11-27'); // Tuesday → Friday
  });
});
