import { healthRoute } from '../api/health-route.js';
import { configuredPaymentGateway } from '../shared/config.js';
import { apiHandler } from '../shared/http.js';

// Read once per cold start: a misconfigured function fails its first request, not a later one.
const payments = configuredPaymentGateway();

export const handler = apiHandler(healthRoute, async () => ({ status: 200, body: { status: 'ok', payments } }));
