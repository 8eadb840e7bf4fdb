import { healthRoute } from '../api/health-route.js';
import { apiHandler } from '../shared/http.js';

export const handler = apiHandler(healthRoute, async () => ({ status: 200, body: { status: 'ok' } }));
