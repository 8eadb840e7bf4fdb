import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dynamoJsonKey, keys, PREFIX, type TableKey } from '../../lambdas/adapters/keys.js';
import { workflowInput } from '../../lambdas/adapters/workflow-input.js';
import { pickTaskIdFor } from '../../lambdas/domain/fulfillment.js';
import type { StoredOrder } from '../../lambdas/domain/orders.js';

const root = path.resolve(import.meta.dirname, '../..');
const asl = JSON.parse(readFileSync(path.join(root, 'statemachines', 'order-workflow.asl.json'), 'utf8')) as unknown;

/** Every [field, value] pair anywhere in a JSON document. */
function* fields(node: unknown): Generator<[string, unknown]> {
  if (Array.isArray(node)) for (const item of node) yield* fields(item);
  else if (node && typeof node === 'object') {
    for (const [name, value] of Object.entries(node)) {
      yield [name, value];
      yield* fields(value);
    }
  }
}

const strings = [...fields(asl)].map(([, value]) => value).filter((value): value is string => typeof value === 'string');

/** The constant sort keys of the schema (those that do not depend on an id). */
const constantSortKeys = Object.values(keys)
  .map((build) => (build as (...args: string[]) => unknown)('x', 'x', 'x', 'x'))
  .filter((key): key is TableKey => typeof key === 'object' && key !== null && 'sk' in key)
  .map((key) => key.sk)
  .filter((sk) => !sk.includes('x'));

const order = {
  orderId: 'ord_test1',
  storefrontId: 'demo',
  status: 'PENDING',
  customer: { id: 'c1', email: 'ada@example.com', name: 'Ada' },
  items: [
    { sku: 'MUG-001', name: 'Mug', quantity: 1, unitPrice: { amount: 100, currency: 'EUR' }, lineTotal: { amount: 100, currency: 'EUR' } },
  ],
  subtotal: { amount: 100, currency: 'EUR' },
  shipping: { amount: 0, currency: 'EUR' },
  tax: { amount: 0, currency: 'EUR' },
  total: { amount: 100, currency: 'EUR' },
  shippingOption: 'standard',
  shippingAddress: { name: 'Ada', line1: '1 Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
  shipments: [],
  returns: [],
  refunded: { amount: 0, currency: 'EUR' },
  timeline: [],
  paymentToken: 'tok_visa',
  barcodes: { 'MUG-001': '4006381333931' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
} satisfies StoredOrder;

describe('the key schema and the order workflow', () => {
  it('finds the schema constants it checks against', () => {
    expect(Object.values(PREFIX).length).toBeGreaterThan(10);
    expect(constantSortKeys).toEqual(expect.arrayContaining(['#ORDER', '#TASK', '#STOCK', 'RESERVATION']));
  });

  it('spells no key prefix or sort key in the ASL', () => {
    // Arrange: what the ASL would contain if it built a key itself.
    const spelled = strings.filter(
      (text) => Object.values(PREFIX).some((prefix) => text.includes(prefix)) || constantSortKeys.includes(text),
    );
    // Assert
    expect(spelled).toEqual([]);
  });

  it('reads every DynamoDB key from the keys the workflow input carries, built by the schema', () => {
    // Arrange
    const input = workflowInput(order, 'table');
    const references = [...fields(asl)].filter(([name]) => name === 'Key' || name === 'Key.$');
    // Act
    const named = references.map(([name, value]) =>
      name === 'Key.$' && typeof value === 'string' ? value : `literal ${JSON.stringify(value)}`,
    );
    // Assert: no literal keys, and each reference names a key the input has.
    expect(named.length).toBeGreaterThan(5);
    for (const reference of named) expect(reference).toMatch(/^\$\.keys\.\w+$/);
    const names = new Set(named.map((reference) => reference.slice('$.keys.'.length)));
    expect(Object.keys(input.keys).sort()).toEqual([...names].sort());
    expect(input.keys.order).toEqual(dynamoJsonKey(keys.order(order.orderId)));
    expect(input.keys.pickTask).toEqual(dynamoJsonKey(keys.pickTask(pickTaskIdFor(order.orderId))));
  });

  it('builds the pick task and reservation items under schema keys', () => {
    const input = workflowInput(order, 'table');
    expect(input.pickTask.Item).toMatchObject(dynamoJsonKey(keys.pickTask(pickTaskIdFor(order.orderId))));
    expect(input.pickTask.Item.gsi1pk.S).toBe(keys.pickTasksPartition('OPEN'));
    const put = input.reservation.TransactItems.at(-1) as { Put: { Item: Record<string, unknown> } };
    expect(put.Put.Item).toMatchObject(dynamoJsonKey(keys.reservation(order.orderId)));
  });

  it('gives every line of the order its own pick line, even two SKUs that share a barcode', () => {
    // Arrange: the tour's two-line order, and the same order with a barcode shared by both SKUs (old data).
    const apron = { sku: 'APRON-1', name: 'Apron', quantity: 1, unitPrice: order.total, lineTotal: order.total };
    const twoLines = { ...order, items: [...order.items, apron], barcodes: { 'MUG-001': '4006381333931', 'APRON-1': '4006381333948' } };
    const shared = { ...twoLines, barcodes: { 'MUG-001': '4006381333931', 'APRON-1': '4006381333931' } };

    // Act
    const skus = (input: StoredOrder) =>
      Object.values(workflowInput(input, 'table').pickTask.Item.lines.M)
        .map((line) => (line.M.sku as { S: string }).S)
        .sort();

    // Assert
    expect(skus(twoLines)).toEqual(['APRON-1', 'MUG-001']);
    expect(skus(shared)).toEqual(['APRON-1', 'MUG-001']);
  });
});
