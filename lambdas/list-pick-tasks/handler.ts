import { routes } from '../api/routes.js';
import { apiHandler } from '../shared/http.js';
import { pickTasks } from '../shared/pick-tasks.js';

export const handler = apiHandler(routes.listPickTasks, async ({ query }) => ({
  status: 200,
  body: await pickTasks.list(query.status, query.limit, query.cursor),
}));
