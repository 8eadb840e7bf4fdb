import { routes } from '../api/routes.js';
import { AlreadyPicked } from '../domain/errors.js';
import { scannedGtin, scanRefusal } from '../domain/fulfillment.js';
import { apiHandler } from '../shared/http.js';
import { pickTasks } from '../shared/pick-tasks.js';

/** One scanned unit: a valid GTIN of a line that still has units to pick, or a 422 that changes nothing. */
export const handler = apiHandler(routes.scanPickTask, async ({ params, body }) => {
  const gtin = scannedGtin(body.barcode);
  const refusal = scanRefusal(await pickTasks.get(params.taskId), gtin);
  if (refusal) throw refusal;
  const task = await pickTasks.recordPick(params.taskId, gtin);
  if (task) return { status: 200, body: task };
  // The conditional write lost a race: another scanner took the last unit, or the task was completed.
  throw scanRefusal(await pickTasks.get(params.taskId), gtin) ?? new AlreadyPicked('Another scanner picked this unit first.');
});
