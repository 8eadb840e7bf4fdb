import { routes } from '../api/routes.js';
import { toApiReturn, visibleReturn } from '../domain/returns.js';
import { apiHandler } from '../shared/http.js';
import { returns } from '../shared/returns.js';

export const handler = apiHandler(routes.getReturn, async ({ params, principal }) => ({
  status: 200,
  body: toApiReturn(await visibleReturn(returns, params.returnId, principal)),
}));
