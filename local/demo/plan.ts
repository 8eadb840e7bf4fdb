import { randomInt } from 'node:crypto';
import { gtinCheckDigit } from '../../lambdas/domain/gtin.js';

/** The ways through the shop the demo sends orders, each ending in the status `outcomes` (summary.ts) names. */
export type Path =
  | 'delivered'
  | 'declined'
  | 'scarce'
  | 'held-approved'
  | 'held-rejected'
  | 'cancelled'
  | 'returned'
  | 'awaiting-pick'
  | 'in-transit'
  | 'awaiting-review';

interface Slot {
  path: Path;
  token?: string;
  cancelledBy?: 'storefront' | 'ops';
  returnCondition?: 'RESELLABLE' | 'DAMAGED';
}

/**
 * The mix, repeated: order i takes slot i mod 25. The first twelve slots hold every path, so a run of a dozen
 * orders shows them all; the rest weigh it towards what a shop mostly sees, delivered orders.
 */
const MIX: readonly Slot[] = [
  { path: 'delivered' },
  { path: 'declined', token: 'tok_declined' },
  { path: 'scarce' },
  { path: 'held-approved' },
  { path: 'cancelled', cancelledBy: 'storefront' },
  { path: 'returned', returnCondition: 'RESELLABLE' },
  { path: 'scarce' },
  { path: 'held-rejected' },
  { path: 'awaiting-pick' },
  { path: 'in-transit' },
  { path: 'delivered' },
  { path: 'awaiting-review' },
  { path: 'delivered' },
  { path: 'returned', returnCondition: 'DAMAGED' },
  { path: 'declined', token: 'tok_insufficient_funds' },
  { path: 'delivered' },
  { path: 'cancelled', cancelledBy: 'ops' },
  { path: 'scarce' },
  { path: 'delivered' },
  { path: 'held-approved' },
  { path: 'delivered' },
  { path: 'returned', returnCondition: 'RESELLABLE' },
  { path: 'delivered' },
  { path: 'scarce' },
  { path: 'delivered' },
];

/** Every path of the mix, in the order the summary lists them. */
export const PATHS: readonly Path[] = [...new Set(MIX.map((slot) => slot.path))];

const PAYMENT_TOKEN: Partial<Record<Path, string>> = {
  'held-approved': 'tok_fraud_review',
  'held-rejected': 'tok_fraud_review',
  'awaiting-review': 'tok_fraud_review',
};

export interface DemoProduct {
  sku: string;
  name: string;
  price: { amount: number; currency: 'EUR' };
  barcode: string;
  weightGrams: number;
  /** Units the demo puts in stock. */
  stock: number;
}

export interface Customer {
  id: string;
  email: string;
  name: string;
}

export interface Address {
  name: string;
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface OrderPlan extends Slot {
  index: number;
  token: string;
  customer: Customer;
  shippingAddress: Address;
  items: { sku: string; quantity: number }[];
  shippingOption: 'standard' | 'express' | 'overnight';
  /** The customer asks where the parcel is while it travels. */
  inquiry: boolean;
}

export interface DemoRun {
  /** Tells this run's SKUs, customers and event ids apart from every other run's. */
  runId: string;
  products: DemoProduct[];
  /** The product too few are in stock of: some of the orders for it end REJECTED, OUT_OF_STOCK. */
  scarce: DemoProduct;
  orders: OrderPlan[];
}

const SHELF = [
  { key: 'MUG', name: 'Enamel mug', amount: 1490, weightGrams: 350 },
  { key: 'TEE', name: 'Organic cotton tee', amount: 2490, weightGrams: 220 },
  { key: 'TOTE', name: 'Canvas tote', amount: 1890, weightGrams: 300 },
  { key: 'BOTTLE', name: 'Steel bottle', amount: 2290, weightGrams: 420 },
  { key: 'NOTEBOOK', name: 'A5 notebook', amount: 1590, weightGrams: 280 },
];

const PEOPLE = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Katherine Johnson',
  'Edsger Dijkstra',
  'Barbara Liskov',
  'Margaret Hamilton',
  'Donald Knuth',
  'Radia Perlman',
  'Hedy Lamarr',
  'Frances Allen',
  'John McCarthy',
  'Sophie Wilson',
  'Ken Thompson',
  'Anita Borg',
  'Claude Shannon',
];

const PLACES = [
  { line1: 'Invalidenstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
  { line1: 'Prinsengracht 12', city: 'Amsterdam', postalCode: '1015', country: 'NL' },
  { line1: '5 rue de Rivoli', city: 'Paris', postalCode: '75001', country: 'FR' },
  { line1: '10 Upper Street', city: 'London', postalCode: 'N1 9GU', country: 'GB' },
  { line1: 'Rue Neuve 3', city: 'Brussels', postalCode: '1000', country: 'BE' },
  { line1: 'Via Nazionale 8', city: 'Rome', postalCode: '00184', country: 'IT' },
  { line1: 'Calle Mayor 4', city: 'Madrid', postalCode: '28013', country: 'ES' },
  { line1: 'Drottninggatan 20', city: 'Stockholm', postalCode: '111 51', country: 'SE' },
];

const SHIPPING_OPTIONS = ['standard', 'standard', 'express', 'overnight'] as const;

/** An EAN-13 in the restricted-circulation range (prefix 2), which no real product carries. */
export function demoBarcode(): string {
  const payload = `2${String(randomInt(1e11)).padStart(11, '0')}`;
  return `${payload}${gtinCheckDigit(payload)}`;
}

/**
 * Two orders share a customer (0 and 1, 3 and 4, …): the CRM shows repeat customers, and none orders
 * often enough for the fraud screening's velocity rule, nor five times its average (carts stay alike).
 */
function customerOf(index: number, runId: string): { customer: Customer; shippingAddress: Address } {
  const number = Math.floor((index * 2) / 3);
  const name = PEOPLE[number % PEOPLE.length] as string;
  const first = (name.split(' ')[0] as string).toLowerCase();
  const place = PLACES[number % PLACES.length] as (typeof PLACES)[number];
  return {
    customer: { id: `demo-${runId}-c${number}`, email: `${first}.${runId}.${number}@example.com`, name },
    shippingAddress: { name, ...place },
  };
}

function itemsOf(index: number, path: Path, products: DemoProduct[], scarce: DemoProduct) {
  if (path === 'scarce') return [{ sku: scarce.sku, quantity: 1 }];
  const first = products[index % products.length] as DemoProduct;
  const second = products[(index + 2) % products.length] as DemoProduct;
  if (index % 4 === 3) return [first, second].map((product) => ({ sku: product.sku, quantity: 1 }));
  return [{ sku: first.sku, quantity: index % 7 === 0 ? 2 : 1 }];
}

/** The run's catalog and its N orders, the same for the same N (only ids and barcodes are new each run). */
export function planRun(count: number, runId = Date.now().toString(36)): DemoRun {
  const tag = runId.toUpperCase();
  const products = SHELF.map((item) => ({
    sku: `DEMO-${tag}-${item.key}`,
    name: item.name,
    price: { amount: item.amount, currency: 'EUR' as const },
    barcode: demoBarcode(),
    weightGrams: item.weightGrams,
    // Plenty: an order takes at most two units of a product.
    stock: 2 * count + 10,
  }));
  const slots = Array.from({ length: count }, (_, index) => MIX[index % MIX.length] as Slot);
  const scarceOrders = slots.filter((slot) => slot.path === 'scarce').length;
  // Half the orders for it get a unit; the rest find it gone.
  const scarce = {
    sku: `DEMO-${tag}-PRINT`,
    name: 'Limited edition print',
    price: { amount: 2190, currency: 'EUR' as const },
    barcode: demoBarcode(),
    weightGrams: 150,
    stock: Math.floor(scarceOrders / 2),
  };
  const orders = slots.map((slot, index) => ({
    ...slot,
    index,
    token: slot.token ?? PAYMENT_TOKEN[slot.path] ?? 'tok_visa',
    ...customerOf(index, runId),
    items: itemsOf(index, slot.path, products, scarce),
    shippingOption: SHIPPING_OPTIONS[index % SHIPPING_OPTIONS.length] as OrderPlan['shippingOption'],
    inquiry: slot.path === 'in-transit' && index % 50 === 9,
  }));
  return { runId, products, scarce, orders };
}
