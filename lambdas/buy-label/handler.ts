import * as z from 'zod';
import { renderOrderDelivered, renderOrderShipped } from '../adapters/email-templates.js';
import { OrderNotFound } from '../domain/errors.js';
import { refuseIfCancelled } from '../domain/orders.js';
import { carrier } from '../shared/carrier.js';
import { logger, metrics } from '../shared/observability.js';
import { orders } from '../shared/orders.js';
import { shipments } from '../shared/shipments.js';
import { workflowHandler } from '../shared/workflow.js';

/**
 * Buys the label for the order's shipping option (idempotent per order), indexes the tracking number
 * for carrier events, and hands the workflow the shipment (in DynamoDB JSON for its direct write) and
 * the rendered "your order has shipped" email.
 */
export const handler = workflowHandler(
  z.object({ orderId: z.string(), packageWeightGrams: z.number().int().positive() }),
  async (input) => {
    const order = await orders.get(input.orderId, true);
    if (!order) throw new OrderNotFound(input.orderId);
    // A cancel that came in while the parcel was packed: no label is bought (ShipStock's condition covers the moment after).
    refuseIfCancelled(order);
    const shipment = await carrier().buyLabel({
      orderId: order.orderId,
      option: order.shippingOption,
      weightGrams: input.packageWeightGrams,
      destination: order.shippingAddress,
      shippedAt: new Date(),
      idempotencyKey: `${order.orderId}:label`,
    });
    // The shipment's place in the order's list: MarkShipped appends it after the ones already there.
    await shipments.track({
      trackingNumber: shipment.trackingNumber,
      orderId: order.orderId,
      shipmentId: shipment.shipmentId,
      shipmentIndex: order.shipments.length,
    });
    logger.info('Label bought', { shipmentId: shipment.shipmentId, trackingNumber: shipment.trackingNumber, service: shipment.service });
    metrics.addMetric('LabelsBought', 'Count', 1);
    const email = renderOrderShipped({ ...order, customerName: order.customer.name }, shipment);
    const delivered = renderOrderDelivered({ ...order, customerName: order.customer.name }, shipment);
    const at = new Date().toISOString();
    return {
      shipment,
      shipmentAttribute: {
        M: {
          shipmentId: { S: shipment.shipmentId },
          carrier: { S: shipment.carrier },
          service: { S: shipment.service },
          trackingNumber: { S: shipment.trackingNumber },
          trackingUrl: { S: shipment.trackingUrl },
          estimatedDeliveryDate: { S: shipment.estimatedDeliveryDate },
          labelCost: { M: { amount: { N: String(shipment.cost.amount) }, currency: { S: shipment.cost.currency } } },
          status: { S: 'LABEL_CREATED' },
          rank: { N: '0' },
          events: { L: [] },
        },
      },
      email: { subject: email.subject, html: email.html, text: email.text },
      // Rendered now, sent when the carrier reports delivery.
      deliveredEmail: { subject: delivered.subject, html: delivered.html, text: delivered.text },
      at,
    };
  },
);
