import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ShipmentNotListedYet } from '../domain/errors.js';
import { type CarrierEvent, SHIPMENT_RANK, type ShipmentRepository, type TrackedShipment } from '../domain/tracking.js';
import { type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { keys } from './keys.js';

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
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.tracking(trackingNumber) }));
    if (!Item) return undefined;
    return {
      trackingNumber,
      orderId: Item.orderId as string,
      shipmentId: Item.shipmentId as string,
      shipmentIndex: Number(Item.shipmentIndex ?? 0),
    };
  }

  async recordEvent(shipment: TrackedShipment, event: CarrierEvent): Promise<'recorded' | 'duplicate'> {
    const at = `shipments[${shipment.shipmentIndex}]`;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(shipment.orderId),
          UpdateExpression: `SET ${at}.events = list_append(${at}.events, :event), timeline = list_append(timeline, :entry) ADD ${at}.eventIds :ids`,
          ConditionExpression: `attribute_exists(${at}) AND NOT contains(${at}.eventIds, :id)`,
          ExpressionAttributeValues: {
            ':event': [{ status: event.status, occurredAt: event.occurredAt }],
            ':entry': [{ at: event.occurredAt, status: 'SHIPPED', note: `carrier: ${event.status} (${event.trackingNumber})` }],
            ':ids': new Set([event.eventId]),
            ':id': event.eventId,
          },
        }),
      );
      return 'recorded';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!(await this.isListed(shipment))) throw new ShipmentNotListedYet(shipment.shipmentId, shipment.orderId, { cause: error });
      return 'duplicate';
    }
  }

  private async isListed(shipment: TrackedShipment): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.order(shipment.orderId),
        ProjectionExpression: `shipments[${shipment.shipmentIndex}].shipmentId`,
        ConsistentRead: true,
      }),
    );
    return ((Item?.shipments as unknown[] | undefined)?.length ?? 0) > 0;
  }

  async advance(shipment: TrackedShipment, event: CarrierEvent): Promise<boolean> {
    const at = `shipments[${shipment.shipmentIndex}]`;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(shipment.orderId),
          UpdateExpression: `SET ${at}.#status = :status, ${at}.#rank = :rank`,
          ConditionExpression: `${at}.#rank < :rank`,
          ExpressionAttributeNames: { '#status': 'status', '#rank': 'rank' },
          ExpressionAttributeValues: { ':status': event.status, ':rank': SHIPMENT_RANK[event.status] as number },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
