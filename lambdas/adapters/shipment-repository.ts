import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ShipmentNotListedYet } from '../domain/errors.js';
import { type CarrierEvent, SHIPMENT_RANK, type ShipmentRepository, type TrackedShipment } from '../domain/tracking.js';
import { conditionalWrite, type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { keys } from './keys.js';

/** How long an event for an unknown tracking number is kept for ops to look at (the table's TTL deletes it). */
export const UNMATCHED_EVENT_TTL_DAYS = 30;

/**
 * Shipments live on their order (a list attribute); a tracking-number item points at the order and the
 * shipment's place in that list. Events are deduplicated by id on the shipment itself, so recording
 * one is a single conditional update, not a transaction.
 */
export class DynamoShipmentRepository implements ShipmentRepository {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  async track(shipment: TrackedShipment): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.tracking(shipment.trackingNumber), ...shipment } }));
  }

  async find(trackingNumber: string): Promise<TrackedShipment | undefined> {
    // Consistent: a tracking number indexed a moment ago must be found, or its event would be kept as unmatched.
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.tracking(trackingNumber), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      trackingNumber,
      orderId: Item.orderId as string,
      shipmentId: Item.shipmentId as string,
      shipmentIndex: Number(Item.shipmentIndex ?? 0),
    };
  }

  /**
   * Appends the event to the shipment and, while the order is SHIPPED, a SHIPPED entry to its timeline, in one
   * conditional update. A late event (the order is DELIVERED already) stays in the shipment's history but adds
   * no timeline entry: the timeline would otherwise move the order backwards.
   */
  async recordEvent(shipment: TrackedShipment, event: CarrierEvent): Promise<'recorded' | 'duplicate'> {
    // The common case costs one write; a refusal is explained by reading the order.
    if (await this.append(shipment, event, true)) return 'recorded';
    // Each refusal below means the order changed since it was read (listed, moved past SHIPPED, or the event was
    // recorded by a redelivery), and each of those happens once: a third attempt cannot be refused for a new reason.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const { listed, seen, status } = await this.recordingState(shipment, event.eventId);
      if (!listed) throw new ShipmentNotListedYet(shipment.shipmentId, shipment.orderId);
      if (seen) return 'duplicate';
      if (await this.append(shipment, event, status === 'SHIPPED')) return 'recorded';
    }
    throw new Error(`Carrier event ${event.eventId} could not be recorded on order ${shipment.orderId}; SQS will redeliver it.`);
  }

  /** One conditional update: the event on the shipment once per id, and with `onTimeline` a timeline entry while SHIPPED. */
  private async append(shipment: TrackedShipment, event: CarrierEvent, onTimeline: boolean): Promise<boolean> {
    const at = `shipments[${shipment.shipmentIndex}]`;
    return conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(shipment.orderId),
          UpdateExpression: `SET ${at}.events = list_append(${at}.events, :event)${onTimeline ? ', timeline = list_append(timeline, :entry)' : ''} ADD ${at}.eventIds :ids`,
          ConditionExpression: `attribute_exists(${at}) AND NOT contains(${at}.eventIds, :id)${onTimeline ? ' AND #status = :shipped' : ''}`,
          ...(onTimeline ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: {
            ':event': [{ status: event.status, occurredAt: event.occurredAt }],
            ':ids': new Set([event.eventId]),
            ':id': event.eventId,
            ...(onTimeline
              ? {
                  ':entry': [{ at: event.occurredAt, status: 'SHIPPED', note: `carrier: ${event.status} (${event.trackingNumber})` }],
                  ':shipped': 'SHIPPED',
                }
              : {}),
          },
        }),
      ),
    );
  }

  /** Whether the order lists the shipment yet, whether the shipment has seen the event, and the order's status. */
  private async recordingState(
    shipment: TrackedShipment,
    eventId: string,
  ): Promise<{ listed: boolean; seen: boolean; status: string | undefined }> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.order(shipment.orderId),
        ProjectionExpression: `#status, shipments[${shipment.shipmentIndex}].shipmentId, shipments[${shipment.shipmentIndex}].eventIds`,
        ExpressionAttributeNames: { '#status': 'status' },
        ConsistentRead: true,
      }),
    );
    // A projected list element comes back as the only element of the list.
    const [listed] = (Item?.shipments as { shipmentId?: string; eventIds?: Set<string> }[] | undefined) ?? [];
    return {
      listed: listed?.shipmentId !== undefined,
      seen: listed?.eventIds?.has(eventId) ?? false,
      status: Item?.status as string | undefined,
    };
  }

  /** Keeps an event for a tracking number no label was bought for, once per event id, for UNMATCHED_EVENT_TTL_DAYS. */
  async recordUnmatched(event: CarrierEvent, now = new Date()): Promise<'recorded' | 'duplicate'> {
    const written = await conditionalWrite(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.unmatchedCarrierEvent(event.trackingNumber, event.eventId),
            ...event,
            receivedAt: now.toISOString(),
            expiresAt: Math.floor(now.getTime() / 1000) + UNMATCHED_EVENT_TTL_DAYS * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return written ? 'recorded' : 'duplicate';
  }

  async advance(shipment: TrackedShipment, event: CarrierEvent): Promise<boolean> {
    const at = `shipments[${shipment.shipmentIndex}]`;
    return conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(shipment.orderId),
          UpdateExpression: `SET ${at}.#status = :status, ${at}.#rank = :rank`,
          ConditionExpression: `${at}.#rank < :rank`,
          ExpressionAttributeNames: { '#status': 'status', '#rank': 'rank' },
          ExpressionAttributeValues: { ':status': event.status, ':rank': SHIPMENT_RANK[event.status] as number },
        }),
      ),
    );
  }
}
