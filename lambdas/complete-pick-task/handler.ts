import { routes } from '../api/routes.js';
import { NotFound, PickIncomplete, TaskNotOpen } from '../domain/errors.js';
import { unpickedLines } from '../domain/fulfillment.js';
import { apiHandler } from '../shared/http.js';
import { logger } from '../shared/observability.js';
import { orderWorkflow } from '../shared/order-workflow.js';
import { orders } from '../shared/orders.js';
import { pickTasks } from '../shared/pick-tasks.js';

/** Packing is done: every line picked, the parcel weighed. The order's workflow goes on to PACKED. */
export const handler = apiHandler(routes.completePickTask, async ({ params, body }) => {
  const task = await pickTasks.get(params.taskId);
  if (!task) throw NotFound.of(`Pick task ${params.taskId}`);
  if (task.status === 'CANCELLED') throw new TaskNotOpen(`Pick task ${task.taskId} was cancelled with its order; put the items back.`);
  const missing = unpickedLines(task);
  if (missing.length) {
    throw new PickIncomplete(
      `Pick every line first: ${missing.map((line) => `${line.quantity - line.picked} × ${line.sku}`).join(', ')} still to pick.`,
      { details: missing.map((line) => ({ path: `lines.${line.sku}`, message: `${line.picked} of ${line.quantity} picked` })) },
    );
  }
  const at = new Date().toISOString();
  const closed = await pickTasks.complete(task.taskId, body.packageWeightGrams, at);
  const order = await orders.get(task.orderId, true);
  // Closed before, and the workflow no longer waits: a repeat. Closed before while the order still holds the wait's
  // token: the request that closed it failed before answering the workflow (the order would wait for ever), so this
  // retry answers it. Answering twice is harmless: a wait already gone comes back as `gone`.
  if (!closed && order?.cancellation) throw new TaskNotOpen(`Pick task ${task.taskId} was cancelled with its order; put the items back.`);
  if (!closed && !order?.pickTaskToken) throw new TaskNotOpen(`Pick task ${task.taskId} is already completed.`);
  if (order?.pickTaskToken) await orderWorkflow.completeWait(order.pickTaskToken, { packageWeightGrams: body.packageWeightGrams, at });
  logger.info('Pick task completed', { taskId: task.taskId, orderId: task.orderId, packageWeightGrams: body.packageWeightGrams });
  return { status: 202, body: { taskId: task.taskId, orderId: task.orderId, status: 'COMPLETED' } };
});
