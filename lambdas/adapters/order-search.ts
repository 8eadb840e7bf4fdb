import { type NativeAttributeValue, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { ValidationFailed } from '../domain/errors.js';
import {
  OPS_ORDERS_DEFAULT_DAYS,
  OPS_ORDERS_MAX_DAYS,
  OrderId,
  type OrderPage,
  type OrderSearch,
  type OrderSearchFilter,
  type StoredOrder,
} from '../domain/orders.js';
import { type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { fromPositionCursor, toPositionCursor } from './cursor.js';
import { INDEX, keys, pagePosition, statusPagePosition } from './keys.js';

/** The most Queries one page may take (a filtered list, or days without orders); the cursor says where it stopped. */
export const MAX_QUERIES_PER_PAGE = 25;
/** Items a filtered Query evaluates at a time (DynamoDB applies Limit before the filter). */
const FILTERED_QUERY_LIMIT = 100;
const DAY_MS = 86_400_000;

/** Where a page ended: the partition (a day, for the walk across days) and the last item read in it. */
const SearchPosition = z.strictObject({
  day: z.iso.date().optional(),
  after: z.strictObject({ at: z.iso.datetime(), id: OrderId }).optional(),
});
type SearchPosition = z.infer<typeof SearchPosition>;
type After = NonNullable<SearchPosition['after']>;

/** One partition of an index to read newest first: its Query, where an item stands in it, and how to start after one. */
interface Partition {
  day?: string;
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'>;
  filtered: boolean;
  positionOf(item: Record<string, NativeAttributeValue>): After;
  lastPosition(lastEvaluatedKey: Record<string, unknown>): After | undefined;
  startKey(after: After): Record<string, string>;
}

/**
 * GET /ops/orders on the table's indexes, never a Scan. A storefront's orders are gsi1 (with a customer: gsi2), sorted
 * by `createdAt`; a status is gsi3, sorted by `updatedAt` (`updatedAt >= from` narrows it, as no order is updated
 * before it is placed); anything else walks gsi4's day partitions from `to` back to `from`. Other filters are filter
 * expressions, so a page keeps reading until it has `limit` orders, runs out, or has taken MAX_QUERIES_PER_PAGE.
 */
export class DynamoOrderSearch implements OrderSearch {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  async search(filter: OrderSearchFilter, now = new Date()): Promise<OrderPage> {
    const list = `ops-orders?${JSON.stringify([filter.status, filter.storefrontId, filter.customerId, filter.from, filter.to])}`;
    const position = fromPositionCursor(list, filter.cursor, SearchPosition);
    const partitions = this.partitions(filter, now);
    const first = position?.day === undefined ? 0 : partitions.findIndex((partition) => partition.day === position.day);
    const { items, next } = await this.read(partitions, first < 0 ? partitions.length : first, position?.after, filter.limit);
    return { items, nextCursor: toPositionCursor(list, next) };
  }

  /** Reads partitions in order from `index`, after `after` in the first, until `limit` items or the end or the query budget. */
  private async read(
    partitions: Partition[],
    index: number,
    after: After | undefined,
    limit: number,
  ): Promise<{ items: StoredOrder[]; next?: SearchPosition }> {
    const items: StoredOrder[] = [];
    let current = index;
    let start = after;
    for (let queries = 0; current < partitions.length; queries++) {
      const partition = partitions[current] as Partition;
      if (queries === MAX_QUERIES_PER_PAGE) return { items, next: { day: partition.day, after: start } };
      const { Items = [], LastEvaluatedKey } = await this.db.send(
        new QueryCommand({
          ...partition.input,
          TableName: this.tableName,
          // One more than the page needs: then a page that ends the list says so (no cursor to an empty page).
          Limit: partition.filtered ? FILTERED_QUERY_LIMIT : limit - items.length + 1,
          ExclusiveStartKey: start && partition.startKey(start),
        }),
      );
      const taken = Items.slice(0, limit - items.length);
      items.push(...(taken as StoredOrder[]));
      const lastTaken = taken.at(-1);
      const more = taken.length < Items.length || LastEvaluatedKey !== undefined;
      if (items.length === limit && lastTaken && (more || current < partitions.length - 1)) {
        return { items, next: { day: partition.day, after: partition.positionOf(lastTaken) } };
      }
      if (items.length === limit) return { items };
      start = LastEvaluatedKey && partition.lastPosition(LastEvaluatedKey);
      if (!start) current++;
    }
    return { items };
  }

  private partitions(filter: OrderSearchFilter, now: Date): Partition[] {
    const { status, storefrontId, customerId, from, to } = filter;
    // Sort keys are `<createdAt>#<orderId>`: every ISO time has the same length, and '~' sorts after any order id.
    const created = { ':from': from ?? '0', ':to': `${to ?? '9999'}#~` };
    if (storefrontId !== undefined && customerId !== undefined) {
      return [
        this.createdOrder(
          INDEX.customerOrders,
          'gsi2',
          keys.customerOrdersPartition(storefrontId, customerId),
          created,
          { status },
          (at, id) => keys.customerOrders(storefrontId, customerId, at, id),
        ),
      ];
    }
    if (storefrontId !== undefined) {
      return [
        this.createdOrder(INDEX.lists, 'gsi1', keys.storefrontOrdersPartition(storefrontId), created, { status }, (at, id) =>
          keys.storefrontOrders(storefrontId, at, id),
        ),
      ];
    }
    if (status !== undefined) return [this.byStatus(filter)];
    return this.days(filter, now).map((day) => ({
      ...this.createdOrder(INDEX.ordersByDay, 'gsi4', keys.ordersOnDayPartition(day), created, { customerId }, keys.ordersOnDay),
      day,
    }));
  }

  /** A partition sorted by `<createdAt>#<orderId>` (gsi1, gsi2, gsi4), within the range, with the remaining filters. */
  private createdOrder(
    indexName: string,
    index: 'gsi1' | 'gsi2' | 'gsi4',
    partitionKey: string,
    created: Record<string, string>,
    filters: Pick<OrderSearchFilter, 'status' | 'customerId'>,
    listKey: (at: string, id: string) => Record<string, string>,
  ): Partition {
    const filter = filterOf(filters);
    return {
      input: {
        IndexName: indexName,
        KeyConditionExpression: `${index}pk = :pk AND ${index}sk BETWEEN :from AND :to`,
        ExpressionAttributeValues: { ':pk': partitionKey, ...created, ...filter.values },
        ...(filter.expression ? { FilterExpression: filter.expression, ExpressionAttributeNames: filter.names } : {}),
        ScanIndexForward: false,
      },
      filtered: filter.expression !== undefined,
      positionOf: (item) => ({ at: item.createdAt as string, id: item.orderId as string }),
      lastPosition: (lastEvaluatedKey) => pagePosition(lastEvaluatedKey, `${index}sk`),
      startKey: (after) => ({ ...keys.order(after.id), ...listKey(after.at, after.id) }),
    };
  }

  /** gsi3: the status's orders by last update, newest first, filtered to the `createdAt` range and the customer. */
  private byStatus({ status, customerId, from, to }: OrderSearchFilter): Partition {
    const filter = filterOf({ customerId, from, to });
    return {
      input: {
        IndexName: INDEX.ordersByStatus,
        KeyConditionExpression: from === undefined ? '#status = :status' : '#status = :status AND updatedAt >= :updatedFrom',
        ExpressionAttributeNames: { '#status': 'status', ...filter.names },
        ExpressionAttributeValues: { ':status': status, ...(from === undefined ? {} : { ':updatedFrom': from }), ...filter.values },
        ...(filter.expression ? { FilterExpression: filter.expression } : {}),
        ScanIndexForward: false,
      },
      filtered: filter.expression !== undefined,
      positionOf: (item) => ({ at: item.updatedAt as string, id: item.orderId as string }),
      lastPosition: statusPagePosition,
      startKey: (after) => ({ ...keys.order(after.id), status: status as string, updatedAt: after.at }),
    };
  }

  /** The days (UTC) from `to` (default now) back to `from` (default OPS_ORDERS_DEFAULT_DAYS earlier), newest first. */
  private days({ from, to }: OrderSearchFilter, now: Date): string[] {
    const last = to === undefined ? now.getTime() : Date.parse(to);
    const first = from === undefined ? last - (OPS_ORDERS_DEFAULT_DAYS - 1) * DAY_MS : Date.parse(from);
    const firstDay = Date.parse(new Date(first).toISOString().slice(0, 10));
    const lastDay = Date.parse(new Date(last).toISOString().slice(0, 10));
    if ((lastDay - firstDay) / DAY_MS >= OPS_ORDERS_MAX_DAYS) {
      throw new ValidationFailed(
        `Without storefrontId or status, from and to may span at most ${OPS_ORDERS_MAX_DAYS} days (orders are listed day by day).`,
        { details: [{ path: 'query.from', message: `at most ${OPS_ORDERS_MAX_DAYS} days before to` }] },
      );
    }
    const days: string[] = [];
    for (let day = lastDay; day >= firstDay; day -= DAY_MS) days.push(new Date(day).toISOString().slice(0, 10));
    return days;
  }
}

/** A filter expression for the filters the index's key does not cover; undefined when there are none. */
function filterOf(filters: { status?: string; customerId?: string; from?: string; to?: string }) {
  const terms: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, string> = {};
  if (filters.status !== undefined) {
    terms.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = filters.status;
  }
  if (filters.customerId !== undefined) {
    terms.push('#customer.#id = :customerId');
    Object.assign(names, { '#customer': 'customer', '#id': 'id' });
    values[':customerId'] = filters.customerId;
  }
  if (filters.from !== undefined) {
    terms.push('createdAt >= :createdFrom');
    values[':createdFrom'] = filters.from;
  }
  if (filters.to !== undefined) {
    terms.push('createdAt <= :createdTo');
    values[':createdTo'] = filters.to;
  }
  return { expression: terms.length ? terms.join(' AND ') : undefined, names, values };
}
