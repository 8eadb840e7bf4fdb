import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { FINAL_STATUSES, type StoredOrder } from '../domain/orders.js';
import { recoveryAction, STAGE_DEADLINE_MINUTES, type TransientStatus } from '../domain/recovery.js';
import { logger, metrics } from '../shared/observability.js';
import { orderWorkflow } from '../shared/order-workflow.js';
import { orders } from '../shared/orders.js';

/** Orders looked at per transient status and run; the next run (minutes later) takes the rest. */
const BATCH = 100;

export interface ReconcileReport {
  examined: number;
  recovered: string[];
  stuck: string[];
}

/** Candidates: every failed run, and orders past their stage's deadline in a status the workflow passes through. */
async function candidates(now: Date): Promise<Map<string, StoredOrder | undefined>> {
  const found = new Map<string, StoredOrder | undefined>();
  for (const orderId of await orderWorkflow.failedRuns()) found.set(orderId, undefined);
  for (const [status, minutes] of Object.entries(STAGE_DEADLINE_MINUTES) as [TransientStatus, number][]) {
    const before = new Date(now.getTime() - minutes * 60_000).toISOString();
    for (const order of await orders.inStatusSince(status, before, BATCH)) found.set(order.orderId, order);
  }
  return found;
}

/**
 * The reconciler (an EventBridge schedule runs it every five minutes): finds what a crash or a bug
 * stranded and repairs it — starts a run that never started, redrives a failed one — and counts what
 * it cannot repair as stuck, which raises an alarm.
 */
export async function reconcile(now = new Date()): Promise<ReconcileReport> {
  const report: ReconcileReport = { examined: 0, recovered: [], stuck: [] };
  for (const [orderId, listed] of await candidates(now)) {
    const order = listed ?? (await orders.get(orderId, true));
    if (!order || FINAL_STATUSES.includes(order.status)) continue;
    report.examined++;
    const run = await orderWorkflow.describe(orderId);
    const action = recoveryAction(order.status, run);
    logger.info('Reconciling order', { orderId, status: order.status, run: run?.status, error: run?.error, action });
    if (action === 'start' && (await orderWorkflow.start(order)) === 'started') report.recovered.push(orderId);
    else if (action === 'redrive' && (await orderWorkflow.redrive(orderId)) === 'redriven') report.recovered.push(orderId);
    else if (action === 'stuck') report.stuck.push(orderId);
  }
  metrics.addMetric('OrdersRecovered', 'Count', report.recovered.length);
  metrics.addMetric('OrdersStuck', 'Count', report.stuck.length);
  if (report.stuck.length) logger.error('Orders stuck; a person must look at them', { orderIds: report.stuck });
  return report;
}

export const handler = middy(() => reconcile())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
