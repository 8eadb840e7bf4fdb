import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type PickLine, type PickTask, PickTaskId, type PickTaskRepository, type PickTaskStatus } from '../domain/fulfillment.js';
import { conditionalWrite, type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { fromCursor, toCursor } from './cursor.js';
import { INDEX, keys, pagePosition } from './keys.js';

interface StoredPickTask extends Omit<PickTask, 'lines'> {
  /** Lines by GTIN-14, so a scan updates its line with one conditional write. */
  lines: Record<string, PickLine>;
}

const toPickTask = (item: StoredPickTask): PickTask => ({
  taskId: item.taskId,
  orderId: item.orderId,
  status: item.status,
  ...(item.overdue ? { overdue: true } : {}),
  lines: Object.values(item.lines).sort((a, b) => a.sku.localeCompare(b.sku)),
  createdAt: item.createdAt,
});

/** Pick tasks, written by the order workflow when an order is confirmed and worked through by the warehouse. */
export class DynamoPickTaskRepository implements PickTaskRepository {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  async get(taskId: string): Promise<PickTask | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.pickTask(taskId), ConsistentRead: true }));
    return Item ? toPickTask(Item as StoredPickTask) : undefined;
  }

  /**
   * Records one scanned unit of a line the task has. The condition makes two scanners on one task
   * safe: a line is never picked beyond its quantity, and nothing changes when the scan is refused.
   */
  async recordPick(taskId: string, gtin: string): Promise<PickTask | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.pickTask(taskId),
          UpdateExpression: 'SET #lines.#gtin.picked = #lines.#gtin.picked + :one',
          ConditionExpression: '#status = :open AND #lines.#gtin.picked < #lines.#gtin.quantity',
          ExpressionAttributeNames: { '#lines': 'lines', '#gtin': gtin, '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':open': 'OPEN' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toPickTask(Attributes as StoredPickTask);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Closes an open task; false when it was not open (completed already, or never existed). */
  async complete(taskId: string, packageWeightGrams: number, at: string): Promise<boolean> {
    return conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.pickTask(taskId),
          // Moves the task to the COMPLETED list of gsi1 (its sort key, creation time, stays).
          UpdateExpression: 'SET #status = :completed, packageWeightGrams = :weight, completedAt = :at, gsi1pk = :index',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':completed': 'COMPLETED',
            ':open': 'OPEN',
            ':weight': packageWeightGrams,
            ':at': at,
            ':index': keys.pickTasksPartition('COMPLETED'),
          },
        }),
      ),
    );
  }

  async cancel(taskId: string, at: string): Promise<boolean> {
    return conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.pickTask(taskId),
          // Off the OPEN list: the warehouse no longer sees it, and a scan of it is refused (TASK_NOT_OPEN).
          UpdateExpression: 'SET #status = :cancelled, cancelledAt = :at, gsi1pk = :index',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':cancelled': 'CANCELLED',
            ':open': 'OPEN',
            ':at': at,
            ':index': keys.pickTasksPartition('CANCELLED'),
          },
        }),
      ),
    );
  }

  async list(status: PickTaskStatus, limit: number, cursor?: string): Promise<{ items: PickTask[]; nextCursor: string | null }> {
    const partition = keys.pickTasksPartition(status);
    // The cursor is a position; the start key is rebuilt here, inside this status's own partition.
    const start = fromCursor(partition, cursor, PickTaskId);
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX.lists,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': partition },
        Limit: limit,
        ExclusiveStartKey: start && { ...keys.pickTask(start.id), ...keys.pickTasksByStatus(status, start.at, start.id) },
      }),
    );
    return {
      items: (Items as StoredPickTask[]).map(toPickTask),
      nextCursor: toCursor(partition, pagePosition(LastEvaluatedKey, 'gsi1sk')),
    };
  }
}
