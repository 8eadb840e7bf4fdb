import * as z from 'zod';
import { logger, metrics } from '../shared/observability.js';
import { workflowHandler } from '../shared/workflow.js';

/** What the workflow counts, and the metric each becomes (alarmed in lib/observability.ts and lib/workflow.ts). */
export const WORKFLOW_EVENT_METRICS = { EmailFailed: 'EmailsFailed', PickOverdue: 'PickTasksOverdue' } as const;

const WorkflowEvent = z.object({
  orderId: z.string(),
  event: z.enum(['EmailFailed', 'PickOverdue']),
  /** The state that met it (SendConfirmation, …): logged, never a dimension (the alarm reads the plain count). */
  state: z.string(),
});

/**
 * Counts an event the order workflow meets and goes on from (a customer email SES refused, a pick task overdue):
 * the state machine logs only errors and no execution data, so a metric has to come from a step of its own.
 * The error's cause is not logged: an SES message may quote the recipient's address.
 */
export const handler = workflowHandler(WorkflowEvent, async ({ event, state }) => {
  metrics.addMetric(WORKFLOW_EVENT_METRICS[event], 'Count', 1);
  logger.warn('Workflow event counted', { event, state });
  return { counted: WORKFLOW_EVENT_METRICS[event] };
});
