import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/adapters/keys.js';
import { ORDER_ITEMS_FILTER, orderChange } from '../../lambdas/adapters/stream-images.js';
import {
  CustomerId,
  CustomerProfile,
  contributionVersion,
  customerProfile,
  type OrderContribution,
  orderContribution,
  type ProfileOrderImage,
  supersedes,
} from '../../lambdas/domain/customers.js';
import type { Money } from '../../lambdas/domain/money.js';

const eur = (amount: number): Money => ({ amount, currency: 'EUR' });

/** An order's image as the stream carries it (unmarshalled), paid unless told otherwise. */
function image(overrides: Partial<ProfileOrderImage> & { orderId: string }): ProfileOrderImage {
  return {
    storefrontId: 'shop-1',
    status: 'CONFIRMED',
    customer: { id: 'cus-1', email: 'ada@example.com', name: 'Ada Lovelace' },
    total: eur(5000),
    refunded: eur(0),
    capture: { amount: overrides.total ?? eur(5000) },
    shippingOption: 'standard',
    createdAt: '2026-03-01T10:00:00.000Z',
    ...overrides,
  };
}

let sequence = 1000;
const contribution = (overrides: Partial<ProfileOrderImage> & { orderId: string }, seq = String(++sequence)) =>
  orderContribution(image(overrides), seq);

/** The conditional write, as the repository makes it: a contribution replaces the stored one only when newer. */
function apply(store: Map<string, OrderContribution>, incoming: OrderContribution): boolean {
  if (!supersedes(incoming, store.get(incoming.orderId))) return false;
  store.set(incoming.orderId, incoming);
  return true;
}

const profileOf = (store: Map<string, OrderContribution>) => customerProfile('cus-1', [...store.values()]);

describe('customer profiles: aggregation', () => {
  it('adds up paid orders (capture minus refunds) and counts unpaid and rejected orders at zero', () => {
    // Arrange
    const orders = [
      contribution({ orderId: 'ord_a', status: 'DELIVERED', total: eur(5000), createdAt: '2026-03-01T10:00:00.000Z' }),
      contribution({ orderId: 'ord_b', status: 'PENDING', total: eur(1200), capture: undefined, createdAt: '2026-03-02T10:00:00.000Z' }),
      contribution({
        orderId: 'ord_c',
        status: 'REJECTED',
        total: eur(900),
        capture: { amount: eur(900) },
        refunded: eur(0),
        createdAt: '2026-03-03T10:00:00.000Z',
      }),
      contribution({ orderId: 'ord_d', status: 'FULFILLING', total: eur(2500), createdAt: '2026-03-04T10:00:00.000Z' }),
    ];

    // Act
    const profile = customerProfile('cus-1', orders);

    // Assert
    expect(profile).toMatchObject({
      customerId: 'cus-1',
      orders: 4,
      paidOrders: 2,
      lifetimeValue: eur(7500),
      lifetimeValues: [eur(7500)],
      returns: 0,
      lastOrderAt: '2026-03-04T10:00:00.000Z',
      firstOrderAt: '2026-03-01T10:00:00.000Z',
    });
    expect(CustomerProfile.safeParse(profile).success).toBe(true);
  });

  it('takes refunds of cancellations and returns off, and counts returns and their units', () => {
    // Arrange
    const orders = [
      contribution({
        orderId: 'ord_a',
        status: 'DELIVERED',
        total: eur(5000),
        refunded: eur(1815),
        returnsById: { ret_1: {}, ret_2: {} },
        returned: { MUG: 1, TEA: 2 },
      }),
      contribution({ orderId: 'ord_b', status: 'CANCELLED', total: eur(3000), refunded: eur(3000) }),
    ];

    // Act
    const profile = customerProfile('cus-1', orders);

    // Assert
    expect(profile).toMatchObject({ orders: 2, paidOrders: 2, lifetimeValue: eur(3185), returns: 2, returnedUnits: 3 });
  });

  it('keeps a value per currency and shows the latest order’s currency as lifetimeValue', () => {
    // Arrange
    const usd = (amount: number): Money => ({ amount, currency: 'USD' });
    const orders = [
      contribution({ orderId: 'ord_a', total: eur(90_000), createdAt: '2026-03-01T10:00:00.000Z' }),
      contribution({ orderId: 'ord_b', total: usd(1000), refunded: usd(200), createdAt: '2026-03-05T10:00:00.000Z' }),
      contribution({ orderId: 'ord_c', total: usd(500), capture: undefined, createdAt: '2026-03-02T10:00:00.000Z' }),
    ];

    // Act
    const profile = customerProfile('cus-1', orders);

    // Assert
    expect(profile?.lifetimeValue).toEqual(usd(800));
    expect(profile?.lifetimeValues).toEqual([eur(90_000), usd(800)]);
  });

  it('shows the latest email and name, every email seen, every storefront, and the most used shipping option', () => {
    // Arrange
    const orders = [
      contribution({ orderId: 'ord_a', storefrontId: 'shop-2', shippingOption: 'express', createdAt: '2026-03-01T10:00:00.000Z' }),
      contribution({
        orderId: 'ord_b',
        customer: { id: 'cus-1', email: 'ada@new.example', name: 'Ada King' },
        shippingOption: 'standard',
        createdAt: '2026-03-03T10:00:00.000Z',
      }),
      contribution({ orderId: 'ord_c', storefrontId: 'shop-1', shippingOption: 'express', createdAt: '2026-03-02T10:00:00.000Z' }),
    ];

    // Act
    const profile = customerProfile('cus-1', orders);

    // Assert
    expect(profile).toMatchObject({
      email: 'ada@new.example',
      name: 'Ada King',
      emails: ['ada@new.example', 'ada@example.com'],
      storefronts: ['shop-1', 'shop-2'],
      preferredShippingOption: 'express',
    });
  });

  it('breaks a tie between shipping options with the latest choice, and is independent of the order it reads in', () => {
    // Arrange
    const orders = [
      contribution({ orderId: 'ord_a', shippingOption: 'express', createdAt: '2026-03-01T10:00:00.000Z' }),
      contribution({ orderId: 'ord_b', shippingOption: 'overnight', createdAt: '2026-03-02T10:00:00.000Z' }),
    ];

    // Act
    const forwards = customerProfile('cus-1', orders);
    const backwards = customerProfile('cus-1', [...orders].reverse());

    // Assert
    expect(forwards?.preferredShippingOption).toBe('overnight');
    expect(backwards).toEqual(forwards);
  });

  it('has no profile without orders', () => {
    expect(customerProfile('cus-1', [])).toBeUndefined();
  });
});

describe('customer profiles: idempotency under redelivery, replay and reordering', () => {
  /** One order's life as the stream carries it: each image a record with a greater sequence number. */
  const life = [
    image({ orderId: 'ord_x', status: 'PENDING', capture: undefined }),
    image({ orderId: 'ord_x', status: 'PENDING' }), // the capture is recorded before MarkConfirmed
    image({ orderId: 'ord_x', status: 'CONFIRMED' }),
    image({ orderId: 'ord_x', status: 'FULFILLING' }),
    image({ orderId: 'ord_x', status: 'DELIVERED' }),
    image({ orderId: 'ord_x', status: 'DELIVERED', returnsById: { ret_1: {} }, returned: { MUG: 1 } }),
    image({ orderId: 'ord_x', status: 'DELIVERED', returnsById: { ret_1: {} }, returned: { MUG: 1 }, refunded: eur(1210) }),
  ].map((order, i) => orderContribution(order, String(5000 + i * 100)));
  const newest = life.at(-1) as OrderContribution;

  it('gives each later image of an order a greater version', () => {
    for (let i = 1; i < life.length; i++)
      expect((life[i] as OrderContribution).version > (life[i - 1] as OrderContribution).version).toBe(true);
  });

  it('changes nothing when the same contribution is applied twice', () => {
    // Arrange
    const store = new Map<string, OrderContribution>();
    for (const change of life) apply(store, change);
    const before = profileOf(store);

    // Act
    const written = apply(store, { ...newest });

    // Assert
    expect(written).toBe(false);
    expect(profileOf(store)).toEqual(before);
  });

  it('changes nothing when an older contribution arrives after a newer one (a replay, or records out of order)', () => {
    // Arrange
    const store = new Map<string, OrderContribution>();
    apply(store, newest);
    const before = profileOf(store);

    // Act
    const written = life.slice(0, -1).map((older) => apply(store, older));

    // Assert
    expect(written.every((wrote) => !wrote)).toBe(true);
    expect(profileOf(store)).toEqual(before);
    expect(before).toMatchObject({ lifetimeValue: eur(5000 - 1210), returns: 1, returnedUnits: 1 });
  });

  it('ends at the newest state whatever order and however often the records come', () => {
    // Arrange: every record twice, shuffled deterministically
    const deliveries = [...life, ...life].map((change, i) => ({ change, key: (i * 7919) % 13 })).sort((a, b) => a.key - b.key);
    const store = new Map<string, OrderContribution>();

    // Act
    for (const { change } of deliveries) apply(store, change);

    // Assert
    expect(store.get('ord_x')).toEqual(newest);
  });

  it('orders by the order’s progress before the sequence number, so a replay from another stream cannot go back', () => {
    // Arrange: a newer image under a smaller sequence number (say, a restored table's new stream)
    const older = orderContribution(image({ orderId: 'ord_y', status: 'CONFIRMED' }), '900000000000000000001');
    const newer = orderContribution(image({ orderId: 'ord_y', status: 'SHIPPED' }), '12');

    // Act / Assert
    expect(supersedes(newer, older)).toBe(true);
    expect(supersedes(older, newer)).toBe(false);
  });

  it('compares sequence numbers of different lengths numerically', () => {
    const fields = { status: 'DELIVERED', refunded: eur(0), returns: 0, returnedUnits: 0 } as const;
    expect(contributionVersion(fields, '100') > contributionVersion(fields, '99')).toBe(true);
    expect(() => contributionVersion(fields, 'abc')).toThrow(RangeError);
  });
});

describe('customer profiles: keys and input', () => {
  it('keeps profile items out of the order filter, so a profile write feeds no stream consumer', () => {
    // Arrange
    const key = keys.customerProfileOrder('cus-1', 'ord_abc12345');
    const record = {
      dynamodb: {
        Keys: { pk: { S: key.pk }, sk: { S: key.sk } },
        NewImage: { pk: { S: key.pk }, sk: { S: key.sk } },
        SequenceNumber: '1',
      },
    } as DynamoDBRecord;

    // Act / Assert
    expect(ORDER_ITEMS_FILTER.dynamodb.Keys.sk.S).not.toContain(key.sk);
    expect(orderChange(record)).toBeUndefined();
  });

  it.each([
    ['an id a storefront can send', 'cus-1', true],
    ['an email-derived guest id', 'guest:3f2a9c', true],
    ['129 characters', 'c'.repeat(129), false],
    ['leading white space', ' cus-1', false],
  ])('validates a customer id: %s', (_, id, valid) => {
    expect(CustomerId.safeParse(id).success).toBe(valid);
  });
});
