import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EasyPostCarrier, minorUnits } from '../../lambdas/adapters/easypost-carrier.js';
import { CarrierRefused, TransientFailure } from '../../lambdas/domain/errors.js';
import type { Address } from '../../lambdas/domain/orders.js';
import { EasyPostFake, FAKE_EASYPOST_KEY, InMemoryLabelPurchaseRecords } from '../fixtures/easypost-fake.js';

const fake = new EasyPostFake();
const records = new InMemoryLabelPurchaseRecords();
let carrier: EasyPostCarrier;
let baseUrl: string;

const destination: Address = { name: 'Grace Hopper', line1: '179 N Harbor Dr', city: 'Redondo Beach', postalCode: '90277', country: 'US' };
const shippedAt = new Date('2026-11-26T10:00:00Z'); // a Thursday
const label = (key: string, option: 'standard' | 'express' | 'overnight' = 'express') => ({
  orderId: key,
  option,
  weightGrams: 400,
  destination,
  shippedAt,
  idempotencyKey: `${key}:label`,
});

describe('EasyPost carrier adapter (against a local fake of the EasyPost API)', () => {
  beforeAll(async () => {
    baseUrl = await fake.start();
    carrier = new EasyPostCarrier({ apiKey: FAKE_EASYPOST_KEY, fromAddress: { id: 'adr_shop' }, records, baseUrl, timeoutMs: 300 });
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.fault = 'none';
    fake.loseBuyAnswer = false;
  });

  it("quotes the cheapest rate of the option's mapped service, in minor units, with a delivery estimate", async () => {
    // Act
    const quote = await carrier.quote({ option: 'standard', weightGrams: 400, destination, shipFrom: 'US', shippedAt });

    // Assert: USPS GroundAdvantage, 5.57 + 0.50 for a parcel under a pound, five business days.
    expect(quote).toEqual({
      option: 'standard',
      service: 'USPS GroundAdvantage',
      cost: { amount: 607, currency: 'USD' },
      estimatedDeliveryDate: '2026-12-03',
    });
    expect(fake.purchases).toBe(0);
  });

  it('buys the mapped service once per idempotency key, even when asked twice', async () => {
    // Arrange
    const before = fake.purchases;

    // Act
    const first = await carrier.buyLabel(label('ord_1'));
    const again = await carrier.buyLabel(label('ord_1'));

    // Assert
    expect(fake.purchases).toBe(before + 1);
    expect(again).toEqual(first);
    expect(first).toMatchObject({ carrier: 'USPS', service: 'Priority', cost: { amount: 797, currency: 'USD' } });
    expect(first.trackingNumber).toMatch(/^9405\d{18}$/);
    expect(first.trackingUrl).toMatch(/^https:\/\/track\.easypost\.com\//);
    expect(fake.shipments.get(first.shipmentId)).toMatchObject({
      reference: 'ord_1:label',
      from_address: { id: 'adr_shop' },
      to_address: { street1: '179 N Harbor Dr', zip: '90277', country: 'US' },
      parcel: { weight: 14.1 }, // 400 g in ounces
    });
  });

  it('buys the label once when the answer to the purchase was lost and the step is retried', async () => {
    // Arrange: EasyPost sells the label, but its answer never arrives.
    fake.loseBuyAnswer = true;
    fake.fault = 'hang';
    const before = fake.purchases;
    await expect(carrier.buyLabel(label('ord_2'))).rejects.toBeInstanceOf(TransientFailure);
    fake.fault = 'none';

    // Act: the workflow's retry.
    const retried = await carrier.buyLabel(label('ord_2'));

    // Assert
    expect(fake.purchases).toBe(before + 1);
    expect(retried.shipmentId).toBe(records.shipments.get('ord_2:label'));
  });

  it('reports a timeout, a 5xx and a non-JSON answer as TransientFailure (retried), having bought nothing', async () => {
    const before = fake.purchases;
    for (const fault of ['hang', '500', 'html'] as const) {
      fake.fault = fault;
      await expect(carrier.buyLabel(label(`ord_3_${fault}`))).rejects.toBeInstanceOf(TransientFailure);
      await expect(carrier.quote({ option: 'express', weightGrams: 100, destination, shipFrom: 'US', shippedAt })).rejects.toBeInstanceOf(
        TransientFailure,
      );
    }
    expect(fake.purchases).toBe(before);
  });

  it('reports a 4xx as CarrierRefused, with what EasyPost said', async () => {
    // An address EasyPost cannot ship to.
    await expect(carrier.buyLabel({ ...label('ord_4'), destination: { ...destination, postalCode: '00000' } })).rejects.toThrow(
      new CarrierRefused('EasyPost refused POST /v2/shipments (422) — ADDRESS.VERIFY.FAILURE: Address not found.'),
    );
    // A wrong API key.
    const unauthorized = new EasyPostCarrier({ apiKey: 'EZTK_wrong', fromAddress: { id: 'adr_shop' }, records, baseUrl });
    await expect(
      unauthorized.quote({ option: 'express', weightGrams: 100, destination, shipFrom: 'US', shippedAt }),
    ).rejects.toBeInstanceOf(CarrierRefused);
    // A service the account does not offer.
    const unmapped = new EasyPostCarrier({
      apiKey: FAKE_EASYPOST_KEY,
      fromAddress: { id: 'adr_shop' },
      records,
      baseUrl,
      services: {
        standard: { carrier: 'DHLExpress', service: 'ExpressWorldwide' },
        express: { carrier: 'USPS', service: 'Priority' },
        overnight: { carrier: 'USPS', service: 'Express' },
      },
    });
    await expect(unmapped.buyLabel(label('ord_5', 'standard'))).rejects.toThrow(/offers no DHLExpress ExpressWorldwide rate/);
  });

  it('converts EasyPost decimal strings to minor units without floats', () => {
    expect(minorUnits('7.47', 'usd')).toEqual({ amount: 747, currency: 'USD' });
    expect(minorUnits('29', 'USD')).toEqual({ amount: 2900, currency: 'USD' });
    expect(minorUnits('8.9', 'USD')).toEqual({ amount: 890, currency: 'USD' });
    expect(minorUnits('0.105', 'USD')).toEqual({ amount: 11, currency: 'USD' });
    expect(() => minorUnits('abc', 'USD')).toThrow(CarrierRefused);
  });
});
