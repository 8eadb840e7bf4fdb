import * as zod from 'zod';
import { AdjustmentBody, Product, ProductList, PutProductBody, SkuParams, StockLevel } from '../domain/catalog.js';
import { CustomerId, CustomerProfile } from '../domain/customers.js';
import { CompleteBody, PickTask, PickTaskId, PickTaskStatus, ScanBody } from '../domain/fulfillment.js';
import {
  Inquiry,
  InquiryList,
  InquiryOpened,
  InquiryParams,
  InquiryReplyBody,
  InquiryStatus,
  OpenInquiryBody,
} from '../domain/inquiries.js';
import { CurrencySummary } from '../domain/ledger.js';
import {
  CancelOrderBody,
  IdempotencyKey,
  Instant,
  instantBound,
  OPS_ORDERS_DEFAULT_DAYS,
  OPS_ORDERS_MAX_DAYS,
  Order,
  OrderAccepted,
  OrderId,
  OrderStatus,
  PlaceOrderBody,
} from '../domain/orders.js';
import { CartQuote, QuoteBody } from '../domain/pricing.js';
import { QueueList, QueueParams, QueueRedriven, REDRIVE_BATCH_LIMIT } from '../domain/queues.js';
import { RequestReturnBody, Return, ReturnEvent, ReturnId, ReturnRequested } from '../domain/returns.js';
import { CarrierEvent } from '../domain/tracking.js';
import { RunList, RunStatus } from '../domain/workflow.js';
import { healthRoute } from './health-route.js';
import { defineRoute, type RouteDefinition } from './route-definition.js';

export type { RouteDefinition } from './route-definition.js';

/** `?limit=` (1–100, default 25) and `?cursor=`, as API.md's list convention says. */
const Page = { limit: zod.coerce.number().int().min(1).max(100).default(25), cursor: zod.string().max(2048).optional() };
const OrderParams = zod.strictObject({ orderId: OrderId });
const ListOrdersQuery = zod.strictObject({
  customerId: zod.string().min(1).max(128).optional(),
  status: OrderStatus.optional(),
  storefrontId: zod.string().min(1).max(63).optional(),
  ...Page,
});
const OpsOrdersQuery = zod
  .strictObject({
    status: OrderStatus.optional(),
    storefrontId: zod.string().min(1).max(63).optional(),
    customerId: zod.string().min(1).max(128).optional(),
    from: Instant.optional(),
    to: Instant.optional(),
    ...Page,
  })
  .refine((query) => !query.from || !query.to || instantBound(query.from, 'from') <= instantBound(query.to, 'to'), {
    message: 'must not be before from',
    path: ['to'],
  });
const ListExecutionsQuery = zod.strictObject({
  status: RunStatus.optional(),
  ...Page,
  // It carries Step Functions' own page token, which may be long.
  cursor: zod.string().max(5000).optional(),
});
const TaskParams = zod.strictObject({ taskId: PickTaskId });
const ReturnParams = zod.strictObject({ returnId: ReturnId });
const CustomerParams = zod.strictObject({ customerId: CustomerId });
const ReturnEventQueued = zod
  .object({ returnId: zod.string(), eventId: zod.string(), queued: zod.literal(true) })
  .meta({ id: 'ReturnEventQueued' });
const PickTaskList = zod.object({ items: zod.array(PickTask), nextCursor: zod.string().nullable() }).meta({ id: 'PickTaskList' });
const PickTaskCompleted = zod
  .object({ taskId: zod.string(), orderId: zod.string(), status: zod.literal('COMPLETED') })
  .meta({ id: 'PickTaskCompleted' });
const ListTasksQuery = zod.strictObject({
  status: PickTaskStatus.default('OPEN'),
  ...Page,
});
const OrderList = zod.object({ items: zod.array(Order), nextCursor: zod.string().nullable() }).meta({ id: 'OrderList' });
const ReviewBody = zod
  .strictObject({ decision: zod.enum(['approve', 'reject']), note: zod.string().max(1000).optional() })
  .meta({ id: 'ReviewBody' });
const ReviewAccepted = zod.object({ orderId: zod.string(), decision: zod.enum(['approve', 'reject']) }).meta({ id: 'ReviewAccepted' });
const CancelAccepted = zod
  .object({
    orderId: zod.string(),
    status: OrderStatus,
    cancellationRequestedAt: zod.iso.datetime(),
    links: zod.object({ self: zod.string() }),
  })
  .meta({ id: 'CancelAccepted' });
const RedriveAccepted = zod.object({ orderId: zod.string(), redriven: zod.literal(true) }).meta({ id: 'RedriveAccepted' });
const OrderExecution = zod
  .object({
    executionArn: zod.string(),
    status: zod.string(),
    startDate: zod.string(),
    stopDate: zod.string().optional(),
    events: zod.array(
      zod.object({
        id: zod.number(),
        type: zod.string(),
        stateName: zod.string().optional(),
        timestamp: zod.string(),
        error: zod.string().optional(),
        cause: zod.string().optional(),
      }),
    ),
  })
  .meta({ id: 'OrderExecution' });

/** What EasyPost posts (docs.easypost.com/docs/events); for the document only: the handler reads it after the signature. */
const EasyPostEventDoc = zod
  .looseObject({
    id: zod.string().meta({ description: 'The Event id (evt_…): the carrier event id, so redeliveries are duplicates.' }),
    object: zod.literal('Event'),
    description: zod.string().meta({ description: 'tracker.updated is queued; every other event is acknowledged and dropped.' }),
    result: zod.looseObject({
      object: zod.literal('Tracker'),
      tracking_code: zod.string(),
      status: zod.string().meta({
        description: 'pre_transit, in_transit, out_for_delivery, available_for_pickup, delivered, return_to_sender, failure, error, …',
      }),
      updated_at: zod.string(),
      tracking_details: zod.array(zod.looseObject({ datetime: zod.string(), status: zod.string() })).optional(),
    }),
  })
  .meta({ id: 'EasyPostEvent' });

/** The longest range GET /finance/summary adds up in one request (it reads the range's ledger objects). */
export const SUMMARY_MAX_DAYS = 92;
/** Lines per page of GET /finance/exports (whole movements, so a page may run a few lines over). */
export const EXPORT_PAGE_LINES = 5000;
/** The longest range one export may page through. */
const EXPORT_MAX_DAYS = 366;

const FinanceRangeQuery = (maxDays: number) =>
  zod
    .strictObject({ from: zod.iso.date(), to: zod.iso.date() })
    .refine((range) => range.from <= range.to, { message: 'must not be before from', path: ['to'] })
    .refine((range) => (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 < maxDays, {
      message: `the range may span at most ${maxDays} days`,
      path: ['to'],
    });
const FinanceExportQuery = zod
  .strictObject({
    from: zod.iso.date(),
    to: zod.iso.date(),
    format: zod.enum(['csv', 'jsonl']).default('csv'),
    orderId: OrderId.optional(),
    cursor: zod.string().max(2048).optional(),
  })
  .refine((range) => range.from <= range.to, { message: 'must not be before from', path: ['to'] })
  .refine((range) => (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 < EXPORT_MAX_DAYS, {
    message: `the range may span at most ${EXPORT_MAX_DAYS} days`,
    path: ['to'],
  });
const FinanceSummary = zod
  .object({ from: zod.iso.date(), to: zod.iso.date(), currencies: zod.array(CurrencySummary) })
  .meta({ id: 'FinanceSummary' });

/**
 * The HTTP API's routes, in one place: lib/api.ts builds the infrastructure from this list,
 * each handler takes its validation and scopes from its entry, and the OpenAPI document is generated from it.
 */
export const routes = {
  health: healthRoute,
  openApi: defineRoute({
    method: 'GET',
    path: '/openapi.json',
    handler: 'openapi',
    scopes: 'public',
    tableAccess: 'none',
    summary: 'This OpenAPI 3.1 document',
    success: { status: 200, description: 'The OpenAPI document.' },
    errors: [],
  }),
  putProduct: defineRoute({
    method: 'PUT',
    path: '/products/{sku}',
    handler: 'put-product',
    scopes: ['ops'],
    tableAccess: 'write',
    summary: 'Create or replace a product (stock is kept)',
    params: SkuParams,
    body: PutProductBody,
    success: { status: 200, description: 'The product as stored.', schema: Product },
    errors: [400, 409, 413, 415, 422],
  }),
  getProduct: defineRoute({
    method: 'GET',
    path: '/products/{sku}',
    handler: 'get-product',
    scopes: ['storefront', 'ops'],
    tableAccess: 'read',
    summary: 'Read a product with its available stock',
    params: SkuParams,
    success: { status: 200, description: 'The product.', schema: Product },
    errors: [404, 422],
  }),
  listProducts: defineRoute({
    method: 'GET',
    path: '/products',
    handler: 'list-products',
    scopes: ['storefront', 'ops'],
    tableAccess: 'read',
    summary: 'The catalog in SKU order, each product with its available stock',
    description: 'Products written before the catalog list existed appear once they are written again (PUT /products/{sku}).',
    query: zod.strictObject({ ...Page }),
    success: { status: 200, description: 'A page of products.', schema: ProductList },
    errors: [422],
  }),
  quote: defineRoute({
    method: 'POST',
    path: '/quotes',
    handler: 'quote-cart',
    scopes: ['storefront'],
    tableAccess: 'read',
    summary: 'Price a cart with every shipping option, exactly as POST /orders would charge it',
    description:
      "Pricing needs only shippingAddress.country; the address's other fields are checked as in POST /orders when given. " +
      "tax is the tax on the goods; each option's tax adds its shipping's (tax is charged on shipping too). " +
      'estimatedDeliveryDate: one handling day, then standard 3, express 2, overnight 1 business days (Monday to Friday, UTC), from today.',
    body: QuoteBody,
    success: { status: 200, description: 'The cart priced with each shipping option.', schema: CartQuote },
    errors: [400, 413, 415, 422],
  }),
  adjustInventory: defineRoute({
    method: 'POST',
    path: '/inventory/{sku}/adjustments',
    handler: 'adjust-inventory',
    scopes: ['ops'],
    tableAccess: 'write',
    summary: 'Adjust on-hand stock by a delta, with a reason',
    params: SkuParams,
    body: AdjustmentBody,
    success: { status: 200, description: 'The stock level after the adjustment.', schema: StockLevel },
    errors: [400, 404, 409, 413, 415, 422],
  }),
  getInventory: defineRoute({
    method: 'GET',
    path: '/inventory/{sku}',
    handler: 'get-inventory',
    scopes: ['ops', 'warehouse'],
    tableAccess: 'read',
    summary: 'Read the stock level of a SKU',
    params: SkuParams,
    success: { status: 200, description: 'The stock level.', schema: StockLevel },
    errors: [404, 422],
  }),
  placeOrder: defineRoute({
    method: 'POST',
    path: '/orders',
    handler: 'place-order',
    scopes: ['storefront'],
    tableAccess: 'write',
    workflow: 'start',
    summary: 'Place an order (Idempotency-Key required); the workflow confirms or rejects it',
    headers: zod.object({ 'idempotency-key': IdempotencyKey }),
    body: PlaceOrderBody,
    success: { status: 202, description: 'Accepted; follow links.self for its status.', schema: OrderAccepted },
    errors: [400, 409, 413, 415, 422],
  }),
  getOrder: defineRoute({
    method: 'GET',
    path: '/orders/{orderId}',
    handler: 'get-order',
    scopes: ['storefront', 'ops'],
    tableAccess: 'read',
    summary: 'Read an order with its lines, totals and timeline',
    params: OrderParams,
    success: { status: 200, description: 'The order.', schema: Order },
    errors: [404, 422],
  }),
  listOrders: defineRoute({
    method: 'GET',
    path: '/orders',
    handler: 'list-orders',
    scopes: ['storefront', 'ops'],
    tableAccess: 'read',
    summary: 'List orders, newest first (ops pass storefrontId)',
    query: ListOrdersQuery,
    success: { status: 200, description: 'A page of orders.', schema: OrderList },
    errors: [422],
  }),
  cancelOrder: defineRoute({
    method: 'POST',
    path: '/orders/{orderId}/cancel',
    handler: 'cancel-order',
    scopes: ['storefront', 'ops'],
    tableAccess: 'write',
    workflow: 'answer',
    summary: 'Cancel an order that has not shipped (stock released, payment voided or refunded, customer emailed)',
    params: OrderParams,
    body: CancelOrderBody,
    success: {
      status: 202,
      description: 'The order is being cancelled (a repeat of a cancel in progress answers the same).',
      schema: CancelAccepted,
    },
    errors: [400, 404, 409, 413, 415, 422],
  }),
  listOpsOrders: defineRoute({
    method: 'GET',
    path: '/ops/orders',
    handler: 'list-ops-orders',
    scopes: ['ops'],
    tableAccess: 'read',
    summary: 'Orders across storefronts, newest first; every filter optional',
    description:
      'from and to bound createdAt (ISO 8601 date-times, or YYYY-MM-DD days in UTC: to includes its whole day). ' +
      'Newest first by createdAt; filtered by status without storefrontId, newest first by updatedAt (the status index). ' +
      `Without storefrontId and status the list covers from–to day by day: from defaults to ${OPS_ORDERS_DEFAULT_DAYS} days before to ` +
      `(which defaults to now), and the range may span at most ${OPS_ORDERS_MAX_DAYS} days. ` +
      'A page may hold fewer than limit orders and still have a nextCursor: follow it until it is null.',
    query: OpsOrdersQuery,
    success: { status: 200, description: 'A page of orders.', schema: OrderList },
    errors: [422],
  }),
  listExecutions: defineRoute({
    method: 'GET',
    path: '/ops/executions',
    handler: 'list-executions',
    scopes: ['ops'],
    tableAccess: 'none',
    workflow: 'list',
    summary: "The order workflow's executions, newest first, optionally in one status",
    description: 'An execution is named by its order id. A cursor older than a day may have expired (422: start again).',
    query: ListExecutionsQuery,
    success: { status: 200, description: 'A page of executions.', schema: RunList },
    errors: [422],
  }),
  listQueues: defineRoute({
    method: 'GET',
    path: '/ops/queues',
    handler: 'list-queues',
    scopes: ['ops'],
    tableAccess: 'none',
    queues: 'read',
    summary: 'Each queue with its waiting, in-flight and dead-lettered messages',
    description:
      "carrier-events and return-events: deadLetters is their DLQ's depth. stream-failures is the table streams' failure destination: " +
      'deadLetters is its own depth; it cannot be redriven (docs/runbook.md says how to replay what it names).',
    success: { status: 200, description: 'The queues.', schema: QueueList },
    errors: [],
  }),
  redriveQueue: defineRoute({
    method: 'POST',
    path: '/ops/queues/{name}/redrive',
    handler: 'redrive-queue',
    scopes: ['ops'],
    tableAccess: 'none',
    queues: 'redrive',
    summary: `Move up to ${REDRIVE_BATCH_LIMIT} dead letters of a queue back to it (call again for more)`,
    description:
      'Bodies and message attributes are kept. At least once: a message may go back twice; the consumers drop duplicates by event id. ' +
      'stream-failures is 409 NOT_REDRIVABLE.',
    params: QueueParams,
    success: { status: 202, description: 'Moved; the consumer processes them again.', schema: QueueRedriven },
    errors: [404, 409, 422],
  }),
  reviewOrder: defineRoute({
    method: 'POST',
    path: '/ops/orders/{orderId}/review',
    handler: 'review-order',
    scopes: ['ops'],
    tableAccess: 'read',
    workflow: 'answer',
    summary: 'Approve or reject an order held for fraud review',
    params: OrderParams,
    body: ReviewBody,
    success: { status: 202, description: 'The decision was passed to the workflow.', schema: ReviewAccepted },
    errors: [400, 404, 409, 413, 415, 422],
  }),
  redriveOrder: defineRoute({
    method: 'POST',
    path: '/ops/orders/{orderId}/redrive',
    handler: 'redrive-order',
    scopes: ['ops'],
    tableAccess: 'read',
    workflow: 'redrive',
    summary: "Redrive the order's failed workflow from where it failed",
    params: OrderParams,
    success: { status: 202, description: 'The execution continues from the state that failed.', schema: RedriveAccepted },
    errors: [404, 409, 422],
  }),
  getOrderExecution: defineRoute({
    method: 'GET',
    path: '/ops/orders/{orderId}/execution',
    handler: 'get-order-execution',
    scopes: ['ops'],
    tableAccess: 'none',
    workflow: 'read',
    summary: "The order workflow's execution and its events",
    params: OrderParams,
    success: { status: 200, description: 'The execution.', schema: OrderExecution },
    errors: [404, 422],
  }),
  listPickTasks: defineRoute({
    method: 'GET',
    path: '/fulfillment/tasks',
    handler: 'list-pick-tasks',
    scopes: ['warehouse', 'ops'],
    tableAccess: 'read',
    summary: 'Pick tasks, oldest first (status OPEN by default)',
    query: ListTasksQuery,
    success: { status: 200, description: 'A page of pick tasks.', schema: PickTaskList },
    errors: [422],
  }),
  scanPickTask: defineRoute({
    method: 'POST',
    path: '/fulfillment/tasks/{taskId}/scans',
    handler: 'scan-pick-task',
    scopes: ['warehouse'],
    tableAccess: 'write',
    summary: 'Record one scanned unit (GTIN check digit verified)',
    params: TaskParams,
    body: ScanBody,
    success: { status: 200, description: 'The task with its updated lines.', schema: PickTask },
    errors: [400, 404, 409, 413, 415, 422],
  }),
  completePickTask: defineRoute({
    method: 'POST',
    path: '/fulfillment/tasks/{taskId}/complete',
    handler: 'complete-pick-task',
    scopes: ['warehouse'],
    tableAccess: 'write',
    workflow: 'answer',
    summary: 'Finish packing: every line picked; records the package weight',
    params: TaskParams,
    body: CompleteBody,
    success: { status: 202, description: 'The workflow goes on to PACKED.', schema: PickTaskCompleted },
    errors: [400, 404, 409, 413, 415, 422],
  }),
  carrierEvents: defineRoute({
    method: 'POST',
    path: '/carrier/events',
    handler: 'carrier-webhook',
    scopes: 'public',
    tableAccess: 'none',
    sendsTo: 'carrierEvents',
    summary: 'Carrier tracking webhook (HMAC-signed; no API key), queued for processing',
    // Validated in the handler, after the signature: an unsigned body is never parsed.
    requestBodyDoc: CarrierEvent,
    success: {
      status: 202,
      description: 'Queued.',
      schema: zod.object({ eventId: zod.string(), queued: zod.literal(true) }).meta({ id: 'CarrierEventQueued' }),
    },
    errors: [400, 401, 413, 415, 422],
  }),
  // Inquiries: a customer asks about an order through its storefront; ops answer by email.
  openInquiry: defineRoute({
    method: 'POST',
    path: '/orders/{orderId}/inquiries',
    handler: 'open-inquiry',
    scopes: ['storefront', 'ops'],
    tableAccess: 'write',
    summary: "Open a customer's inquiry about an order (ops answer it by email)",
    params: OrderParams,
    body: OpenInquiryBody,
    success: { status: 201, description: 'The inquiry is open and waits for ops.', schema: InquiryOpened },
    errors: [400, 404, 413, 415, 422],
  }),
  listInquiries: defineRoute({
    method: 'GET',
    path: '/ops/inquiries',
    handler: 'list-inquiries',
    scopes: ['ops'],
    tableAccess: 'read',
    summary: "Inquiries, oldest first (status OPEN by default, or every one of an order), each with its order's summary",
    query: zod
      .strictObject({ status: InquiryStatus.optional(), orderId: OrderId.optional(), ...Page })
      .refine((query) => !(query.status && query.orderId), {
        message: 'give a status or an orderId, not both: an order’s inquiries are listed whatever their status',
        path: ['orderId'],
      }),
    success: { status: 200, description: 'A page of inquiries.', schema: InquiryList },
    errors: [422],
  }),
  getInquiry: defineRoute({
    method: 'GET',
    path: '/ops/inquiries/{inquiryId}',
    handler: 'get-inquiry',
    scopes: ['ops'],
    tableAccess: 'read',
    summary: "Read an inquiry with its replies and its order's summary",
    params: InquiryParams,
    success: { status: 200, description: 'The inquiry.', schema: Inquiry },
    errors: [404, 422],
  }),
  replyToInquiry: defineRoute({
    method: 'POST',
    path: '/ops/inquiries/{inquiryId}/replies',
    handler: 'reply-to-inquiry',
    scopes: ['ops'],
    tableAccess: 'write',
    sendsEmail: true,
    summary: 'Email the customer a reply, record it, and close the inquiry unless close is false',
    params: InquiryParams,
    body: InquiryReplyBody,
    success: { status: 200, description: 'The reply was emailed and recorded; the inquiry as it is now.', schema: Inquiry },
    errors: [400, 404, 409, 413, 415, 422, 502],
  }),
  requestReturn: defineRoute({
    method: 'POST',
    path: '/orders/{orderId}/returns',
    handler: 'request-return',
    scopes: ['storefront', 'ops'],
    tableAccess: 'write',
    sendsEmail: true,
    summary: "Request a return of a delivered order's units (Idempotency-Key optional); the customer is emailed the RMA number",
    params: OrderParams,
    headers: zod.object({ 'idempotency-key': IdempotencyKey.optional() }),
    body: RequestReturnBody,
    success: { status: 201, description: 'The return is registered (REQUESTED).', schema: ReturnRequested },
    errors: [400, 404, 409, 413, 415, 422],
  }),
  getReturn: defineRoute({
    method: 'GET',
    path: '/returns/{returnId}',
    handler: 'get-return',
    scopes: ['storefront', 'ops', 'warehouse'],
    tableAccess: 'read',
    summary: 'Read a return with its status, condition and refund',
    params: ReturnParams,
    success: { status: 200, description: 'The return.', schema: Return },
    errors: [404, 422],
  }),
  returnEvents: defineRoute({
    method: 'POST',
    path: '/returns/{returnId}/events',
    handler: 'return-events',
    scopes: ['warehouse'],
    tableAccess: 'read',
    sendsTo: 'returnEvents',
    summary: 'The warehouse received or inspected a return; queued for processing (restock, refund, email)',
    params: ReturnParams,
    body: ReturnEvent,
    success: { status: 202, description: 'Queued.', schema: ReturnEventQueued },
    errors: [400, 404, 413, 415, 422],
  }),
  // Finance: the ledger, derived from the table's stream into S3 (never the live table).
  financeSummary: defineRoute({
    method: 'GET',
    path: '/finance/summary',
    handler: 'finance-summary',
    scopes: ['finance', 'ops'],
    tableAccess: 'none',
    readsLedger: true,
    summary: `Per currency: orders, gross, refunds and net from the ledger, for at most ${SUMMARY_MAX_DAYS} days`,
    query: FinanceRangeQuery(SUMMARY_MAX_DAYS),
    success: { status: 200, description: "The range's figures, per currency.", schema: FinanceSummary },
    errors: [422],
  }),
  financeExports: defineRoute({
    method: 'GET',
    path: '/finance/exports',
    handler: 'finance-exports',
    scopes: ['finance'],
    tableAccess: 'none',
    readsLedger: true,
    summary: `Ledger lines of a range as CSV or JSON lines, ${EXPORT_PAGE_LINES} lines a page (X-Next-Cursor for the next)`,
    query: FinanceExportQuery,
    success: { status: 200, description: 'One page of ledger lines (text/csv with a header row, or application/x-ndjson).' },
    errors: [422],
  }),
  getCustomer: defineRoute({
    method: 'GET',
    path: '/customers/{customerId}',
    handler: 'get-customer',
    scopes: ['ops'],
    tableAccess: 'read',
    summary: "A customer's profile across storefronts: orders, lifetime value, returns (projected from the orders' changes)",
    params: CustomerParams,
    success: { status: 200, description: 'The profile.', schema: CustomerProfile },
    errors: [404, 422],
  }),
  // EasyPost's tracking webhooks in its own signed format (X-Hmac-Signature), queued beside /carrier/events.
  easyPostCarrierEvents: defineRoute({
    method: 'POST',
    path: '/carrier/easypost/events',
    handler: 'easypost-webhook',
    scopes: 'public',
    tableAccess: 'none',
    sendsTo: 'carrierEvents',
    summary: 'EasyPost tracking webhook (its Event format, signed with X-Hmac-Signature; no API key), queued for processing',
    // Validated in the handler, after the signature: an unsigned body is never parsed.
    requestBodyDoc: EasyPostEventDoc,
    success: {
      status: 202,
      description: 'Received: queued when it is a tracking update Conveyor tracks, otherwise dropped (queued: false).',
      schema: zod.object({ eventId: zod.string(), queued: zod.boolean() }).meta({ id: 'EasyPostEventReceived' }),
    },
    errors: [400, 401, 413, 415, 422],
  }),
} as const;

export const allRoutes: readonly RouteDefinition[] = Object.values(routes) as RouteDefinition[];

/**
 * API Gateway's `$default` route: every request no route above matches, so that an unknown path (404) and a
 * wrong method (405, with `Allow`) get the error envelope instead of API Gateway's `{"message":"Not Found"}`.
 * Not an operation of the API, so it is not in `allRoutes` nor in the OpenAPI document.
 */
export const defaultRoute = {
  handler: 'default-route',
  scopes: 'public',
  tableAccess: 'none',
  summary: 'Answers requests no route matches: 404, or 405 with Allow',
} as const satisfies Pick<RouteDefinition, 'handler' | 'scopes' | 'tableAccess' | 'summary'>;

/** A route's path as a pattern over raw request paths: a `{param}` is one non-empty segment, as in API Gateway. */
const pathPattern = (path: string) => new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`);
const routePatterns = allRoutes.map((route) => ({ method: route.method, pattern: pathPattern(route.path) }));

/** The methods the route table has for a request path (`/products/MUG-001` → GET, PUT), sorted; none for an unknown path. */
export function methodsAt(path: string): RouteDefinition['method'][] {
  return routePatterns
    .filter((route) => route.pattern.test(path))
    .map((route) => route.method)
    .sort();
}
