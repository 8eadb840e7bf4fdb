import { routes } from '../api/routes.js';
import { REDRIVE_BATCH_LIMIT, redrivableQueue } from '../domain/queues.js';
import { apiHandler } from '../shared/http.js';
import { logger } from '../shared/observability.js';
import { queueAdmin } from '../shared/queues.js';

export const handler = apiHandler(routes.redriveQueue, async ({ params, principal }) => {
  const name = redrivableQueue(params.name);
  const moved = await queueAdmin.redrive(name, REDRIVE_BATCH_LIMIT);
  logger.info('Dead letters redriven', { queue: name, moved, by: principal?.keyId });
  return { status: 202, body: { name, moved } };
});
