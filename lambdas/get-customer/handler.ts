import { routes } from '../api/routes.js';
import { customerProfile } from '../domain/customers.js';
import { NotFound } from '../domain/errors.js';
import { customers } from '../shared/customers.js';
import { apiHandler } from '../shared/http.js';

export const handler = apiHandler(routes.getCustomer, async ({ params }) => {
  const profile = customerProfile(params.customerId, await customers.contributions(params.customerId));
  if (!profile) throw NotFound.of(`Customer ${params.customerId}`);
  return { status: 200, body: profile };
});
