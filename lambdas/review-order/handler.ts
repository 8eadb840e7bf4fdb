import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { routes } from '../api/routes.js';
import { ConveyorError } from '../domain/errors.js';
import { stepFunctions } from '../shared/clients.js';
import { apiHandler } from '../shared/http.js';
import { logger } from '../shared/observability.js';
import { visibleOrder } from '../shared/orders.js';

/** Ops decide on an order held for fraud review: the decision completes the workflow's task token. */
export const handler = apiHandler(routes.reviewOrder, async ({ params, body, principal }) => {
  const order = await visibleOrder(params.orderId, principal);
  if (order.status !== 'ON_HOLD' || !order.reviewToken) {
    throw new ConveyorError('NOT_ON_HOLD', `Order ${order.orderId} is ${order.status}, not ON_HOLD; only held orders can be reviewed.`);
  }
  const at = new Date().toISOString();
  if (body.decision === 'approve') {
    await stepFunctions.send(
      new SendTaskSuccessCommand({ taskToken: order.reviewToken, output: JSON.stringify({ decision: 'approve', at, note: body.note }) }),
    );
  } else {
    await stepFunctions.send(
      new SendTaskFailureCommand({ taskToken: order.reviewToken, error: 'ReviewRejected', cause: body.note ?? 'rejected by ops' }),
    );
  }
  logger.info('Fraud review decided', { orderId: order.orderId, decision: body.decision, by: principal?.keyId });
  return { status: 202, body: { orderId: order.orderId, decision: body.decision } };
});
