import * as z from 'zod';
import { AlreadyPicked, BarcodeMismatch, type ConveyorError, InvalidBarcode, NotFound, TaskNotOpen } from './errors.js';
import { isValidGtin, normalizeGtin } from './gtin.js';

export const PickTaskId = z.string().regex(/^pick_[a-z0-9]{8,40}$/, 'is not a pick task id');
/** OPEN until packed (COMPLETED) or its order is cancelled first (CANCELLED: nothing to pick any more). */
export const PickTaskStatus = z.enum(['OPEN', 'COMPLETED', 'CANCELLED']);
export type PickTaskStatus = z.infer<typeof PickTaskStatus>;

export const PickLine = z.object({
  sku: z.string(),
  name: z.string(),
  barcode: z.string(),
  quantity: z.number().int(),
  picked: z.number().int(),
});
export type PickLine = z.infer<typeof PickLine>;

export const PickTask = z
  .object({
    taskId: z.string(),
    orderId: z.string(),
    status: PickTaskStatus,
    overdue: z.boolean().optional(),
    lines: z.array(PickLine),
    createdAt: z.string(),
  })
  .meta({ id: 'PickTask' });
export type PickTask = z.infer<typeof PickTask>;

// The barcode is checked by scanBarcode, not the schema, so a bad check digit gets its own error code.
export const ScanBody = z.strictObject({ barcode: z.string().min(1).max(64) }).meta({ id: 'ScanBody' });
export const CompleteBody = z.strictObject({ packageWeightGrams: z.number().int().min(1).max(70_000) }).meta({ id: 'CompleteBody' });

export const pickTaskIdFor = (orderId: string) => `pick_${orderId.replace(/^ord_/, '')}`;

/** Validates a scanned code and gives the key its line is stored under (GTIN-14, so EAN-13 and UPC-A of one item match). */
export function scannedGtin(barcode: string): string {
  const code = barcode.trim();
  if (!isValidGtin(code)) throw new InvalidBarcode(`"${code}" is not a valid GTIN: its check digit does not match. Scan it again.`);
  return normalizeGtin(code);
}

/** Why a scan of `gtin` must be refused, given the task as it is now; undefined when the unit may be picked. */
export function scanRefusal(task: PickTask | undefined, gtin: string): ConveyorError | undefined {
  if (!task) return new NotFound('Pick task was not found.');
  if (task.status !== 'OPEN') return new TaskNotOpen(`Pick task ${task.taskId} is ${task.status}.`);
  const line = task.lines.find((candidate) => normalizeGtin(candidate.barcode) === gtin);
  if (!line) return new BarcodeMismatch(`Barcode ${gtin} is not on pick task ${task.taskId}; check the item.`);
  if (line.picked >= line.quantity) return new AlreadyPicked(`All ${line.quantity} of ${line.sku} are already picked.`);
  return undefined;
}

export function unpickedLines(task: PickTask): PickLine[] {
  return task.lines.filter((line) => line.picked < line.quantity);
}

/** The pick tasks port: written by the order workflow when an order is confirmed, worked through by the warehouse. */
export interface PickTaskRepository {
  get(taskId: string): Promise<PickTask | undefined>;
  /** Records one scanned unit of the line stored under `gtin`; undefined when the task's state refuses it (nothing changes). */
  recordPick(taskId: string, gtin: string): Promise<PickTask | undefined>;
  /** Closes an open task; false when it was not open (completed already, or never existed). */
  complete(taskId: string, packageWeightGrams: number, at: string): Promise<boolean>;
  /** Closes an open task because its order was cancelled; false when it was not open (packed already, or never written). */
  cancel(taskId: string, at: string): Promise<boolean>;
  list(status: PickTaskStatus, limit: number, cursor?: string): Promise<{ items: PickTask[]; nextCursor: string | null }>;
}
