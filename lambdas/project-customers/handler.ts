import type { DynamoDBRecord } from 'aws-lambda';
import { orderChange } from '../adapters/stream-images.js';
import { orderContribution, ProfileOrderImage } from '../domain/customers.js';
import { MalformedStreamRecord } from '../domain/errors.js';
import { customers } from '../shared/customers.js';
import { logger, metrics } from '../shared/observability.js';
import { streamConsumer } from '../shared/stream-consumer.js';

/**
 * Keeps the order's contribution to its customer's profile current. The write is conditional on the contribution's
 * version (the order's progress, then the record's sequence number), so a redelivered, replayed or late record
 * changes nothing.
 */
async function projectOrder(record: DynamoDBRecord): Promise<void> {
  const change = orderChange(record);
  if (!change) return;
  if (!change.sequenceNumber) throw new MalformedStreamRecord('A stream record without a sequence number cannot be ordered.');
  const image = ProfileOrderImage.safeParse(change.after);
  if (!image.success)
    throw new MalformedStreamRecord(`An order image the profile cannot read: ${image.error.message}`, { cause: image.error });
  const contribution = orderContribution(image.data, change.sequenceNumber);
  const written = await customers.contribute(contribution);
  logger.info(written ? 'Customer profile updated' : 'Customer profile already newer; record changed nothing', {
    orderId: contribution.orderId,
    version: contribution.version,
  });
  metrics.addMetric(written ? 'ProfileContributions' : 'ProfileContributionsSkipped', 'Count', 1);
}

export const handler = streamConsumer(projectOrder);
