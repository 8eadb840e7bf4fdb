import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, ApiKeyRepository } from '../domain/api-keys.js';
import type { Scope } from '../domain/auth.js';
import { type DocumentClient, dynamoDb } from '../shared/dynamodb.js';
import { INDEX, keys } from './keys.js';

/** API keys by the hash of their secret (the authorizer's lookup), listed in creation order on gsi1. */
export class DynamoApiKeyRepository implements ApiKeyRepository {
  constructor(
    private readonly tableName: string,
    private readonly db: DocumentClient = dynamoDb,
  ) {}

  async create(record: ApiKeyRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.apiKey(record.hash), ...record, ...keys.apiKeyList(record.createdAt, record.keyId) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async findActiveByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.apiKey(hash) }));
    if (!Item || Item.revokedAt) return undefined;
    return toRecord(Item);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEX.lists,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.apiKeysPartition() },
          ExclusiveStartKey: cursor,
        }),
      );
      records.push(...(page.Items ?? []).map(toRecord));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return records;
  }

  /** Revokes by key id; returns false when no such key exists. Revoking twice keeps the first date. */
  async revoke(keyId: string, now = new Date()): Promise<boolean> {
    const record = (await this.list()).find((key) => key.keyId === keyId);
    if (!record) return false;
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.apiKey(record.hash),
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
        ExpressionAttributeValues: { ':at': now.toISOString() },
      }),
    );
    return true;
  }
}

function toRecord(item: Record<string, unknown>): ApiKeyRecord {
  return {
    keyId: item.keyId as string,
    hash: item.hash as string,
    scope: item.scope as Scope,
    storefrontId: item.storefrontId as string | undefined,
    name: item.name as string,
    createdAt: item.createdAt as string,
    revokedAt: item.revokedAt as string | undefined,
  };
}
