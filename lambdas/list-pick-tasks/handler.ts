import { routes } from '../api/routes.js';
import { pickTasks } from '../shared/fulfillment.js';
import { apiHandler } from '../shared/http.js';

export const handler = apiHandler(routes.listPickTasks, async ({ query }) => ({
  status: 200,
  body: await pickTasks.list(query.status, query.limit, query.cursor),
}));
