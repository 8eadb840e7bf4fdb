import { createHash } from 'node:crypto';
import { pickTaskIdFor } from '../domain/fulfillment.js';
import { normalizeGtin } from '../domain/gtin.js';
import { RejectionReason } from '../domain/orders.js';
import { type OrderEmailData, type RenderedEmail, renderOrderConfirmed, renderOrderRejected } from './email-templates.js';
import { orderKey, type StoredOrder } from './order-repository.js';

const hash = (value: string) => createHash('sha256').update(value.toLowerCase()).digest('hex').slice(0, 32);
const hourBucket = (iso: string) => iso.slice(0, 13);

/** Sandbox tokens are shared by every test customer, so they say nothing about one card's velocity. */
const SHARED_TEST_TOKEN = /^tok_[a-z_]+$/;

/** Fraud velocity counters an order counts towards: per customer, email and card, in hourly windows. */
export function velocityKeys(order: Pick<StoredOrder, 'storefrontId' | 'customer' | 'paymentToken' | 'createdAt'>): {
  customer: string;
  email: string;
  card?: string;
} {
  const hour = hourBucket(order.createdAt);
  return {
    customer: `VELOCITY#CUSTOMER#${hash(`${order.storefrontId}#${order.customer.id}`)}#${hour}`,
    email: `VELOCITY#EMAIL#${hash(order.customer.email)}#${hour}`,
    card: SHARED_TEST_TOKEN.test(order.paymentToken) ? undefined : `VELOCITY#CARD#${hash(order.paymentToken)}#${hour}`,
  };
}

const stockKey = (sku: string) => ({ pk: { S: `PRODUCT#${sku}` }, sk: { S: '#STOCK' } });

/**
 * The order workflow's input. JSONPath cannot build per-line request shapes, so the reservation and
 * its release are computed here, once, in DynamoDB JSON; the emails are rendered here too, so the
 * workflow sends them with a direct SES integration.
 */
export function workflowInput(order: StoredOrder, tableName: string) {
  const reservationKey = { pk: { S: orderKey(order.orderId).pk }, sk: { S: 'RESERVATION' } };
  const emailData: OrderEmailData = { ...order, customerName: order.customer.name };
  const email = (rendered: RenderedEmail) => ({ subject: rendered.subject, html: rendered.html, text: rendered.text });
  return {
    orderId: order.orderId,
    storefrontId: order.storefrontId,
    customer: { id: order.customer.id, email: order.customer.email },
    total: order.total,
    reservation: {
      TransactItems: [
        ...order.items.map((item) => ({
          Update: {
            TableName: tableName,
            Key: stockKey(item.sku),
            UpdateExpression: 'SET available = available - :qty, reserved = reserved + :qty',
            ConditionExpression: 'available >= :qty',
            ExpressionAttributeValues: { ':qty': { N: String(item.quantity) } },
          },
        })),
        {
          Put: {
            TableName: tableName,
            Item: { ...reservationKey, orderId: { S: order.orderId }, lines: { N: String(order.items.length) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    },
    release: {
      TransactItems: [
        ...order.items.map((item) => ({
          Update: {
            TableName: tableName,
            Key: stockKey(item.sku),
            UpdateExpression: 'SET available = available + :qty, reserved = reserved - :qty',
            ConditionExpression: 'reserved >= :qty',
            ExpressionAttributeValues: { ':qty': { N: String(item.quantity) } },
          },
        })),
        { Delete: { TableName: tableName, Key: reservationKey, ConditionExpression: 'attribute_exists(pk)' } },
      ],
    },
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
    lines[normalizeGtin(barcode)] = {
      M: {
        sku: { S: item.sku },
        name: { S: item.name },
        barcode: { S: barcode },
        quantity: { N: String(item.quantity) },
        picked: { N: '0' },
      },
    };
  }
  return {
    pk: { S: `PICKTASK#${taskId}` },
    sk: { S: '#TASK' },
    taskId: { S: taskId },
    orderId: { S: order.orderId },
    status: { S: 'OPEN' },
    lines: { M: lines },
    createdAt: { S: order.createdAt },
    gsi1pk: { S: 'PICKTASKS#OPEN' },
    gsi1sk: { S: `${order.createdAt}#${taskId}` },
  };
}
