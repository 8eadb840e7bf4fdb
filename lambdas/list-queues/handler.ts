import { routes } from '../api/routes.js';
import { apiHandler } from '../shared/http.js';
import { queueAdmin } from '../shared/queues.js';

export const handler = apiHandler(routes.listQueues, async () => {
  return { status: 200, body: { items: await queueAdmin.depths() } };
});
