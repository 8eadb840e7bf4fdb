/**
 * The table's key schema: every partition and sort key, every index and its keys, in one place.
 * One table holds everything (single-table design); an item's kind is its key prefix. Repositories,
 * the sandbox gateway and the order workflow's input (statemachines/ reads its keys from there) build
 * keys only through this module, and test/unit/key-schema.test.ts fails if the ASL spells one itself.
 */
export interface TableKey {
  pk: string;
  sk: string;
}

/**
 * The secondary indexes: gsi1 lists things in time order, gsi2 lists a customer's orders and the catalog (by SKU),
 * gsi3 lists orders by status, oldest update first, and gsi4 lists every order by the day it was placed. gsi3 is
 * keyed on the orders' own `status` and `updatedAt` attributes, so every status write (the workflow's included)
 * keeps it current without naming a key; only orders carry both attributes (pick tasks and payments have no
 * `updatedAt`).
 */
export const INDEX = {
  lists: 'gsi1',
  customerOrders: 'gsi2',
  catalog: 'gsi2',
  orderInquiries: 'gsi2',
  ordersByStatus: 'gsi3',
  ordersByDay: 'gsi4',
} as const;

/** Every prefix the table's keys use; nothing else may start a key. */
export const PREFIX = {
  product: 'PRODUCT#',
  adjustment: 'ADJUSTMENT#',
  barcode: 'BARCODE#',
  catalog: 'CATALOG',
  order: 'ORDER#',
  orders: 'ORDERS#',
  ordersOnDay: 'ORDERDAY#',
  customer: 'CUSTOMER#',
  customerProfile: 'CUSTOMER_PROFILE#',
  idempotency: 'IDEMPOTENCY#',
  velocity: 'VELOCITY#',
  pickTask: 'PICKTASK#',
  pickTasks: 'PICKTASKS#',
  tracking: 'TRACKING#',
  unmatchedEvent: 'UNMATCHED#',
  labelPurchase: 'LABEL#',
  apiKey: 'APIKEY#',
  apiKeys: 'APIKEYS',
  payment: 'PAYMENT#',
  authorization: 'AUTH#',
  return: 'RETURN#',
  inquiry: 'INQUIRY#',
  inquiries: 'INQUIRIES#',
  orderInquiries: 'ORDER_INQUIRIES#',
} as const;

const sortable = (at: string, id: string) => `${at}#${id}`;

/**
 * Where a page of a time-ordered list ended: the time and id its LastEvaluatedKey's sort key (`sortKey`, built
 * by `sortable`) holds. Undefined when the list has no more pages.
 */
export function pagePosition(
  lastEvaluatedKey: Record<string, unknown> | undefined,
  sortKey: 'gsi1sk' | 'gsi2sk' | 'gsi4sk',
): { at: string; id: string } | undefined {
  if (!lastEvaluatedKey) return undefined;
  const value = lastEvaluatedKey[sortKey];
  // Times are ISO 8601 and ids have no '#', so the first '#' separates them.
  const split = typeof value === 'string' ? value.indexOf('#') : -1;
  if (typeof value !== 'string' || split <= 0) throw new Error(`A list item's ${sortKey} is not <time>#<id>: ${String(value)}`);
  return { at: value.slice(0, split), id: value.slice(split + 1) };
}

/** Where a page of gsi3 (orders by status) ended: the update time and order id of its LastEvaluatedKey. */
export function statusPagePosition(lastEvaluatedKey: Record<string, unknown> | undefined): { at: string; id: string } | undefined {
  if (!lastEvaluatedKey) return undefined;
  const { pk, updatedAt } = lastEvaluatedKey;
  if (typeof pk !== 'string' || !pk.startsWith(PREFIX.order) || typeof updatedAt !== 'string')
    throw new Error(`A gsi3 item is not an order: ${String(pk)}`);
  return { at: updatedAt, id: pk.slice(PREFIX.order.length) };
}

export const keys = {
  product: (sku: string): TableKey => ({ pk: `${PREFIX.product}${sku}`, sk: '#PRODUCT' }),
  stock: (sku: string): TableKey => ({ pk: `${PREFIX.product}${sku}`, sk: '#STOCK' }),
  /** A product's item collection: #PRODUCT, #STOCK and its ADJUSTMENT# history. */
  productCollection: (sku: string) => `${PREFIX.product}${sku}`,
  stockAdjustment: (sku: string, at: string, id: string): TableKey => ({
    pk: `${PREFIX.product}${sku}`,
    sk: `${PREFIX.adjustment}${at}#${id}`,
  }),
  /** gsi1 partition of the products carrying a barcode (GTIN-14): finds a product by its barcode. */
  barcodeIndex: (gtin14: string) => `${PREFIX.barcode}${gtin14}`,
  /**
   * gsi2: the catalog, one partition sorted by SKU (GET /products). Products written before it existed are not in it
   * until their next PUT.
   */
  catalogEntry: (sku: string) => ({ gsi2pk: PREFIX.catalog, gsi2sk: sku }),
  catalogPartition: () => PREFIX.catalog,
  /** Which SKU a barcode (GTIN-14) belongs to; written with the product, so no two SKUs share one. */
  barcodeClaim: (gtin14: string): TableKey => ({ pk: `${PREFIX.barcode}${gtin14}`, sk: '#CLAIM' }),

  order: (orderId: string): TableKey => ({ pk: `${PREFIX.order}${orderId}`, sk: '#ORDER' }),
  /** The order's stock reservation (units per SKU), written in the same transaction as the decrements and
   * deleted in the same transaction as the release or the shipment: it exists exactly while units are held. */
  reservation: (orderId: string): TableKey => ({ pk: `${PREFIX.order}${orderId}`, sk: 'RESERVATION' }),
  /** gsi1: a storefront's orders, newest first. */
  storefrontOrders: (storefrontId: string, createdAt: string, orderId: string) => ({
    gsi1pk: `${PREFIX.orders}${storefrontId}`,
    gsi1sk: sortable(createdAt, orderId),
  }),
  storefrontOrdersPartition: (storefrontId: string) => `${PREFIX.orders}${storefrontId}`,
  /** gsi2: one customer's orders at one storefront, newest first. */
  customerOrders: (storefrontId: string, customerId: string, createdAt: string, orderId: string) => ({
    gsi2pk: `${PREFIX.customer}${storefrontId}#${customerId}`,
    gsi2sk: sortable(createdAt, orderId),
  }),
  customerOrdersPartition: (storefrontId: string, customerId: string) => `${PREFIX.customer}${storefrontId}#${customerId}`,
  /**
   * gsi4: every order of one day (UTC), newest first (GET /ops/orders without storefront or status). Written when the
   * order is placed; orders placed before it existed are not in it.
   */
  ordersOnDay: (createdAt: string, orderId: string) => ({
    gsi4pk: `${PREFIX.ordersOnDay}${createdAt.slice(0, 10)}`,
    gsi4sk: sortable(createdAt, orderId),
  }),
  ordersOnDayPartition: (day: string) => `${PREFIX.ordersOnDay}${day}`,
  idempotency: (storefrontId: string, key: string): TableKey => ({
    pk: `${PREFIX.idempotency}${storefrontId}#${key}`,
    sk: '#IDEMPOTENCY',
  }),
  /** A fraud velocity counter: `kind` (CUSTOMER, EMAIL, CARD), a hash of who, and the hour. */
  velocity: (kind: 'CUSTOMER' | 'EMAIL' | 'CARD', hash: string, hour: string): TableKey => ({
    pk: `${PREFIX.velocity}${kind}#${hash}#${hour}`,
    sk: '#COUNT',
  }),

  pickTask: (taskId: string): TableKey => ({ pk: `${PREFIX.pickTask}${taskId}`, sk: '#TASK' }),
  /** gsi1: pick tasks by status, oldest first. */
  pickTasksByStatus: (status: string, createdAt: string, taskId: string) => ({
    gsi1pk: `${PREFIX.pickTasks}${status}`,
    gsi1sk: sortable(createdAt, taskId),
  }),
  pickTasksPartition: (status: string) => `${PREFIX.pickTasks}${status}`,

  tracking: (trackingNumber: string): TableKey => ({ pk: `${PREFIX.tracking}${trackingNumber}`, sk: '#TRACKING' }),
  /** A carrier event for a tracking number no label was bought for, beside where its #TRACKING item would be. */
  unmatchedCarrierEvent: (trackingNumber: string, eventId: string): TableKey => ({
    pk: `${PREFIX.tracking}${trackingNumber}`,
    sk: `${PREFIX.unmatchedEvent}${eventId}`,
  }),

  /** The carrier's shipment a label purchase made for an idempotency key (carriers without idempotency keys, e.g. EasyPost). */
  labelPurchase: (idempotencyKey: string): TableKey => ({ pk: `${PREFIX.labelPurchase}${idempotencyKey}`, sk: '#LABEL' }),

  apiKey: (hash: string): TableKey => ({ pk: `${PREFIX.apiKey}${hash}`, sk: '#APIKEY' }),
  /** gsi1: every API key, in creation order. */
  apiKeyList: (createdAt: string, keyId: string) => ({ gsi1pk: PREFIX.apiKeys, gsi1sk: sortable(createdAt, keyId) }),
  apiKeysPartition: () => PREFIX.apiKeys,

  /** A return (RMA) of an order's delivered units; the order keeps what each line has had returned. */
  returnRequest: (returnId: string): TableKey => ({ pk: `${PREFIX.return}${returnId}`, sk: '#RETURN' }),

  /** A customer's inquiry about an order, and the replies ops sent. */
  inquiry: (inquiryId: string): TableKey => ({ pk: `${PREFIX.inquiry}${inquiryId}`, sk: '#INQUIRY' }),
  /** gsi1: inquiries by status, oldest first (ops answer the longest-waiting first). */
  inquiriesByStatus: (status: string, createdAt: string, inquiryId: string) => ({
    gsi1pk: `${PREFIX.inquiries}${status}`,
    gsi1sk: sortable(createdAt, inquiryId),
  }),
  inquiriesPartition: (status: string) => `${PREFIX.inquiries}${status}`,
  /**
   * gsi2: one order's inquiries, oldest first, whatever their status (the console's order page). Inquiries opened
   * before it existed are not in it.
   */
  inquiryOfOrder: (orderId: string, createdAt: string, inquiryId: string) => ({
    gsi2pk: `${PREFIX.orderInquiries}${orderId}`,
    gsi2sk: sortable(createdAt, inquiryId),
  }),
  orderInquiriesPartition: (orderId: string) => `${PREFIX.orderInquiries}${orderId}`,

  /**
   * One order's contribution to its customer's profile (the profiles stream consumer writes it). Its sort key is
   * never `#ORDER`, so the stream mappings' order filter leaves it out: a profile write feeds no consumer.
   */
  customerProfileOrder: (customerId: string, orderId: string): TableKey => ({
    pk: `${PREFIX.customerProfile}${customerId}`,
    sk: `${PREFIX.order}${orderId}`,
  }),
  /** A customer's profile: the contributions of all their orders. */
  customerProfilePartition: (customerId: string) => `${PREFIX.customerProfile}${customerId}`,

  /** The sandbox gateway's own records, as a real gateway keeps them on its side. */
  authorization: (orderId: string, authorizationId: string): TableKey => ({
    pk: `${PREFIX.payment}${orderId}`,
    sk: `${PREFIX.authorization}${authorizationId}`,
  }),
  paymentsPartition: (orderId: string) => `${PREFIX.payment}${orderId}`,
  authorizationPrefix: () => PREFIX.authorization,
} as const;

/** A key in DynamoDB JSON, as Step Functions' DynamoDB integrations take it. */
export function dynamoJsonKey(key: TableKey): { pk: { S: string }; sk: { S: string } } {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}
