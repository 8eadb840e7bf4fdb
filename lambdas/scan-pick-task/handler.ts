import { routes } from '../api/routes.js';
import { scannedGtin, scanRefusal } from '../domain/fulfillment.js';
import { normalizeGtin } from '../domain/gtin.js';
import { pickTasks } from '../shared/fulfillment.js';
import { apiHandler } from '../shared/http.js';

/** One scanned unit: a valid GTIN of a line that still has units to pick, or a 422 that changes nothing. */
export const handler = apiHandler(routes.scanPickTask, async ({ params, body }) => {
  const gtin = scannedGtin(body.barcode);
  const before = await pickTasks.get(params.taskId);
  const line = before?.lines.find((candidate) => normalizeGtin(candidate.barcode) === gtin);
  if (before?.status !== 'OPEN' || !line || line.picked >= line.quantity) throw scanRefusal(before, gtin);
  const task = await pickTasks.recordPick(params.taskId, gtin);
  // Another scanner took the last unit (or completed the task) in between.
  if (!task) throw scanRefusal(await pickTasks.get(params.taskId), gtin);
  return { status: 200, body: task };
});
