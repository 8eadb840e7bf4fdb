import { defineRoute } from './route-definition.js';
import { Health } from './schemas.js';

/**
 * GET /health in a module of its own: the health function imports only this, not the whole route table
 * (lambdas/api/routes.ts), which keeps it under its 150 KB bundle budget.
 */
export const healthRoute = defineRoute({
  method: 'GET',
  path: '/health',
  handler: 'health',
  scopes: 'public',
  tableAccess: 'none',
  reportsPaymentGateway: true,
  summary: 'Liveness check',
  success: {
    status: 200,
    description: 'The API is up; `payments` says which gateway charges cards (`sandbox`: no money moves).',
    schema: Health,
  },
  errors: [],
});
