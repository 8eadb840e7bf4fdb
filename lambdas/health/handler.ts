import { routes } from '../api/routes.js';
import { apiHandler } from '../shared/http.js';

export const handler = apiHandler(routes.health, async () => ({ status: 200, body: { status: 'ok' } }));
