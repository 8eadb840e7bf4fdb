import { pickTaskIdFor } from '../domain/fulfillment.js';
import { normalizeGtin } from '../domain/gtin.js';
import { RejectionReason, type StoredOrder } from '../domain/orders.js';
import { type OrderEmailData, type RenderedEmail, renderOrderConfirmed, renderOrderRejected } from './email-templates.js';
import { dynamoJsonKey, keys } from './keys.js';

const stockKey = (sku: string) => dynamoJsonKey(keys.stock(sku));

/**
 * One stock transaction for the workflow: every line's stock item changed by `change` (`:qty` is the
 * line's quantity), and the reservation record put or deleted with it — the token that makes the change
 * happen once however often the step runs.
 */
function stockTransaction(
  order: StoredOrder,
  tableName: string,
  change: { update: string; condition: string },
  reservation: Record<string, unknown>,
  ...more: Record<string, unknown>[]
) {
  return {
    TransactItems: [
      ...more,
      ...order.items.map((item) => ({
        Update: {
          TableName: tableName,
          Key: stockKey(item.sku),
          UpdateExpression: change.update,
          ConditionExpression: change.condition,
          ExpressionAttributeValues: { ':qty': { N: String(item.quantity) } },
        },
      })),
      reservation,
    ],
  };
}

/**
 * The order workflow's input. JSONPath cannot build per-line request shapes, so the reservation and
 * its release are computed here, once, in DynamoDB JSON; the emails are rendered here too, so the
 * workflow sends them with a direct SES integration. The state machine spells no key itself: it reads
 * the keys it writes under from `keys` (test/unit/key-schema.test.ts holds it to that).
 */
export function workflowInput(order: StoredOrder, tableName: string) {
  const reservationKey = dynamoJsonKey(keys.reservation(order.orderId));
  const emailData: OrderEmailData = { ...order, customerName: order.customer.name };
  const email = (rendered: RenderedEmail) => ({ subject: rendered.subject, html: rendered.html, text: rendered.text });
  return {
    orderId: order.orderId,
    storefrontId: order.storefrontId,
    keys: { order: dynamoJsonKey(keys.order(order.orderId)), pickTask: dynamoJsonKey(keys.pickTask(pickTaskIdFor(order.orderId))) },
    customer: { id: order.customer.id, email: order.customer.email },
    total: order.total,
    reservation: stockTransaction(
      order,
      tableName,
      { update: 'SET available = available - :qty, reserved = reserved + :qty', condition: 'available >= :qty' },
      {
        Put: {
          TableName: tableName,
          Item: {
            ...reservationKey,
            orderId: { S: order.orderId },
            items: { M: Object.fromEntries(order.items.map((item) => [item.sku, { N: String(item.quantity) }])) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ),
    release: stockTransaction(
      order,
      tableName,
      { update: 'SET available = available + :qty, reserved = reserved - :qty', condition: 'reserved >= :qty' },
      { Delete: { TableName: tableName, Key: reservationKey, ConditionExpression: 'attribute_exists(pk)' } },
    ),
    // The units leave with the parcel: on-hand and reserved drop together, once (the reservation is the token).
    // The order is marked in the same transaction, unless a cancellation came first: from here on it cannot be
    // cancelled (POST /orders/{id}/cancel checks for the mark), so a cancel and a shipment never both happen.
    shipStock: stockTransaction(
      order,
      tableName,
      { update: 'SET onHand = onHand - :qty, reserved = reserved - :qty', condition: 'reserved >= :qty AND onHand >= :qty' },
      { Delete: { TableName: tableName, Key: reservationKey, ConditionExpression: 'attribute_exists(pk)' } },
      {
        Update: {
          TableName: tableName,
          Key: dynamoJsonKey(keys.order(order.orderId)),
          UpdateExpression: 'SET stockShipped = :true',
          ConditionExpression: '#status = :packed AND attribute_not_exists(cancellation)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':true': { BOOL: true }, ':packed': { S: 'PACKED' } },
        },
      },
    ),
    pickTask: { Item: pickTaskItem(order) },
    emails: {
      confirmed: email(renderOrderConfirmed(emailData)),
      rejected: Object.fromEntries(RejectionReason.options.map((reason) => [reason, email(renderOrderRejected(emailData, reason))])),
    },
  };
}

/** The warehouse's pick task, in DynamoDB JSON: lines keyed by GTIN-14 so each scan is one conditional update. */
function pickTaskItem(order: StoredOrder) {
  const taskId = pickTaskIdFor(order.orderId);
  const lines: Record<string, { M: Record<string, { S: string } | { N: string }> }> = {};
  for (const item of order.items) {
    const barcode = order.barcodes[item.sku] ?? '';
    // Barcodes are unique per SKU (BARCODE_IN_USE), but products stored before that rule may share one: the
    // second line then gets its own key, so the task can never complete, and the order never ship, without it.
    const gtin = normalizeGtin(barcode);
    lines[lines[gtin] ? `${gtin}:${item.sku}` : gtin] = {
      M: {
        sku: { S: item.sku },
        name: { S: item.name },
        barcode: { S: barcode },
        quantity: { N: String(item.quantity) },
        picked: { N: '0' },
      },
    };
  }
  const listed = keys.pickTasksByStatus('OPEN', order.createdAt, taskId);
  return {
    ...dynamoJsonKey(keys.pickTask(taskId)),
    taskId: { S: taskId },
    orderId: { S: order.orderId },
    status: { S: 'OPEN' },
    lines: { M: lines },
    createdAt: { S: order.createdAt },
    gsi1pk: { S: listed.gsi1pk },
    gsi1sk: { S: listed.gsi1sk },
  };
}
