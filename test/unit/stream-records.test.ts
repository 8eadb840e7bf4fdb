import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { lambdaRecord } from '../../local/streams.js';

describe('stream records as the local pollers deliver them', () => {
  it('gives an empty map DynamoDB Local sent without its type back its type, so the image unmarshalls', () => {
    // Arrange: an order's image as DynamoDB Local 3.x reads it from the stream (`refunds` was written as an empty map)
    const record = {
      eventID: 'e1',
      eventName: 'MODIFY',
      dynamodb: {
        Keys: { pk: { S: 'ORDER#ord_1' }, sk: { S: '#ORDER' } },
        NewImage: { pk: { S: 'ORDER#ord_1' }, refunds: {}, shipments: { L: [] }, total: { M: { amount: { N: '100' } } } },
        SequenceNumber: '7',
      },
    } as unknown as _Record;

    // Act
    const delivered = lambdaRecord(record, 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/s');

    // Assert
    expect(delivered.dynamodb.NewImage).toMatchObject({ refunds: { M: {} }, shipments: { L: [] } });
    expect(unmarshall(delivered.dynamodb.NewImage as never)).toEqual({
      pk: 'ORDER#ord_1',
      refunds: {},
      shipments: [],
      total: { amount: 100 },
    });
  });
});
