import { SendTaskSuccessCommand, TaskDoesNotExist } from '@aws-sdk/client-sfn';
import { routes } from '../api/routes.js';
import { ConveyorError, NotFoundError } from '../domain/errors.js';
import { unpickedLines } from '../domain/fulfillment.js';
import { stepFunctions } from '../shared/clients.js';
import { pickTasks } from '../shared/fulfillment.js';
import { apiHandler } from '../shared/http.js';
import { logger } from '../shared/observability.js';
import { orders } from '../shared/orders.js';

/** Packing is done: every line picked, the parcel weighed. The order's workflow goes on to PACKED. */
export const handler = apiHandler(routes.completePickTask, async ({ params, body }) => {
  const task = await pickTasks.get(params.taskId);
  if (!task) throw new NotFoundError(`Pick task ${params.taskId}`);
  const missing = unpickedLines(task);
  if (missing.length) {
    throw new ConveyorError(
      'PICK_INCOMPLETE',
      `Pick every line first: ${missing.map((line) => `${line.quantity - line.picked} × ${line.sku}`).join(', ')} still to pick.`,
      missing.map((line) => ({ path: `lines.${line.sku}`, message: `${line.picked} of ${line.quantity} picked` })),
    );
  }
  const at = new Date().toISOString();
  if (!(await pickTasks.complete(task.taskId, body.packageWeightGrams, at))) {
    throw new ConveyorError('TASK_NOT_OPEN', `Pick task ${task.taskId} is already completed.`);
  }
  const order = await orders.get(task.orderId, true);
  if (order?.pickTaskToken) {
    try {
      await stepFunctions.send(
        new SendTaskSuccessCommand({
          taskToken: order.pickTaskToken,
          output: JSON.stringify({ packageWeightGrams: body.packageWeightGrams, at }),
        }),
      );
    } catch (error) {
      // The workflow moved on already (a retried request after the first one got through): nothing to do.
      if (!(error instanceof TaskDoesNotExist)) throw error;
    }
  }
  logger.info('Pick task completed', { taskId: task.taskId, orderId: task.orderId, packageWeightGrams: body.packageWeightGrams });
  return { status: 202, body: { taskId: task.taskId, orderId: task.orderId, status: 'COMPLETED' } };
});
