import * as path from 'node:path';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createTables } from '../../local/dynamodb.js';
import { type CfnTemplate, loadTemplate } from '../../local/template.js';
import { cloud } from './client.js';

const client = new DynamoDBClient({
  endpoint: cloud.dynamodb,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
afterAll(() => client.destroy());

describe('a table kept from before gsi4 (npm start with .local data)', () => {
  it('gets the template’s new index when the local cloud starts again, as a deploy adds it', async () => {
    // Arrange: the synthesized table (cdk.out is the global setup's), created first without gsi4, under a name of its own.
    const template = loadTemplate(path.resolve(import.meta.dirname, '../../cdk.out'), 'Conveyor');
    const [tableId, table] = Object.entries(template.Resources).find(([, resource]) => resource.Type === 'AWS::DynamoDB::Table') ?? [];
    const indexes = (table?.Properties?.GlobalSecondaryIndexes ?? []) as { IndexName: string }[];
    const attributes = (table?.Properties?.AttributeDefinitions ?? []) as { AttributeName: string }[];
    // An index's attributes are defined only while an index uses them.
    const withIndexes = (kept: { IndexName: string }[]): CfnTemplate => ({
      Resources: {
        [tableId as string]: {
          ...table,
          Properties: {
            ...table?.Properties,
            GlobalSecondaryIndexes: kept,
            AttributeDefinitions: attributes.filter(
              (attribute) => kept.length === indexes.length || !attribute.AttributeName.startsWith('gsi4'),
            ),
          },
        },
      } as CfnTemplate['Resources'],
    });
    const stackName = `indexes-${process.pid}-${Date.now().toString(36)}`;
    await createTables(client, withIndexes(indexes.filter((index) => index.IndexName !== 'gsi4')), stackName);

    // Act: the next start, with the current template.
    const [local] = [...(await createTables(client, withIndexes(indexes), stackName)).values()];

    // Assert
    const { Table } = await client.send(new DescribeTableCommand({ TableName: local?.ref }));
    await client.send(new DeleteTableCommand({ TableName: local?.ref }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(['gsi1', 'gsi2', 'gsi3', 'gsi4']);
  });
});
