import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidToken,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { MisconfiguredFunction, ValidationFailed } from '../domain/errors.js';
import type { StoredOrder } from '../domain/orders.js';
import type { OrderWorkflow, RunList, RunStatus, WaitAnswer, WorkflowEvent, WorkflowRun } from '../domain/workflow.js';
import { stepFunctions } from '../shared/step-functions.js';
import { fromPositionCursor, toPositionCursor } from './cursor.js';
import { workflowInput } from './workflow-input.js';

/** Step Functions' page token, as a list-bound cursor carries it. */
const ExecutionsToken = z.strictObject({ token: z.string().min(1).max(3096) });

/** A history event as ops see it: its state, time, and error if any, without execution data. */
function toWorkflowEvent(event: HistoryEvent): WorkflowEvent {
  const details = Object.entries(event).find(([key]) => key.endsWith('EventDetails'))?.[1] as Record<string, unknown> | undefined;
  return {
    id: event.id,
    type: event.type,
    ...(typeof details?.name === 'string' ? { stateName: details.name } : {}),
    timestamp: event.timestamp?.toISOString(),
    ...(typeof details?.error === 'string' ? { error: details.error } : {}),
    ...(typeof details?.cause === 'string' ? { cause: details.cause } : {}),
  };
}

/**
 * The order workflow on Step Functions: one execution per order, named by the order id. This is the
 * one place that decides what Step Functions' "already exists", "task gone" and "not redrivable" mean.
 */
export class StepFunctionsOrderWorkflow implements OrderWorkflow {
  /** `tableName` goes into a new run's input; functions that only read or answer runs do not need it. */
  constructor(
    private readonly stateMachineArn: string,
    private readonly tableName: string | undefined,
    private readonly client: SFNClient = stepFunctions,
  ) {}

  /** arn:…:stateMachine:Name → arn:…:execution:Name:<orderId> */
  private executionArn(orderId: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`;
  }

  async start(order: StoredOrder): Promise<'started' | 'already-started'> {
    if (!this.tableName) throw new MisconfiguredFunction('Starting an order workflow needs TABLE_NAME; give the function the table.');
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: order.orderId,
          input: JSON.stringify(workflowInput(order, this.tableName)),
        }),
      );
      return 'started';
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return 'already-started';
      throw error;
    }
  }

  completeWait(token: string, output: unknown): Promise<WaitAnswer> {
    return this.answer(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
  }

  failWait(token: string, error: string, cause: string): Promise<WaitAnswer> {
    return this.answer(new SendTaskFailureCommand({ taskToken: token, error, cause }));
  }

  private async answer(command: SendTaskSuccessCommand | SendTaskFailureCommand): Promise<WaitAnswer> {
    try {
      // Both commands take the same client; the union only needs narrowing for the type checker.
      await (command instanceof SendTaskSuccessCommand ? this.client.send(command) : this.client.send(command));
      return 'answered';
    } catch (error) {
      // Answered before (by a concurrent or retried request), or the wait timed out: the token is gone.
      if (error instanceof TaskDoesNotExist || error instanceof TaskTimedOut) return 'gone';
      throw error;
    }
  }

  async describe(orderId: string): Promise<WorkflowRun | undefined> {
    const executionArn = this.executionArn(orderId);
    try {
      const execution = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn,
        status: execution.status,
        startDate: execution.startDate?.toISOString(),
        ...(execution.stopDate ? { stopDate: execution.stopDate.toISOString() } : {}),
        ...(execution.error ? { error: execution.error } : {}),
        redriveCount: execution.redriveCount ?? 0,
      };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw error;
    }
  }

  async history(orderId: string): Promise<WorkflowEvent[]> {
    const executionArn = this.executionArn(orderId);
    const events: WorkflowEvent[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: false }),
        );
        events.push(...(page.events ?? []).map(toWorkflowEvent));
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return [];
      throw error;
    }
    return events;
  }

  async failedRuns(): Promise<string[]> {
    const names: string[] = [];
    for (const statusFilter of ['FAILED', 'TIMED_OUT', 'ABORTED'] as const) {
      let nextToken: string | undefined;
      do {
        const page = await this.client.send(
          new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter, maxResults: 1000, nextToken }),
        );
        names.push(...(page.executions ?? []).map((execution) => execution.name ?? '').filter(Boolean));
        nextToken = page.nextToken;
      } while (nextToken);
    }
    return names;
  }

  /**
   * ListExecutions, newest first (as Step Functions lists them). An execution's name is its order's id. The cursor
   * carries Step Functions' own page token, bound to the status it was made for.
   */
  async listRuns(page: { status?: RunStatus; limit: number; cursor?: string }): Promise<RunList> {
    const list = `executions?status=${page.status ?? ''}`;
    const nextToken = fromPositionCursor(list, page.cursor, ExecutionsToken)?.token;
    try {
      const output = await this.client.send(
        new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: page.status, maxResults: page.limit, nextToken }),
      );
      return {
        items: (output.executions ?? []).map((execution) => ({
          orderId: execution.name ?? '',
          executionArn: execution.executionArn ?? '',
          status: execution.status ?? 'RUNNING',
          startDate: (execution.startDate ?? new Date(0)).toISOString(),
          ...(execution.stopDate ? { stopDate: execution.stopDate.toISOString() } : {}),
        })),
        nextCursor: toPositionCursor(list, output.nextToken ? { token: output.nextToken } : undefined),
      };
    } catch (error) {
      // Step Functions' tokens expire after a day: an old cursor is the caller's to replace, not a fault.
      if (!(error instanceof InvalidToken)) throw error;
      throw new ValidationFailed('The cursor has expired; list the executions from the first page again.', {
        details: [{ path: 'query.cursor', message: 'expired' }],
        cause: error,
      });
    }
  }

  async redrive(orderId: string): Promise<'redriven' | 'not-redrivable'> {
    try {
      await this.client.send(new RedriveExecutionCommand({ executionArn: this.executionArn(orderId) }));
      return 'redriven';
    } catch (error) {
      if (error instanceof ExecutionNotRedrivable || error instanceof ExecutionDoesNotExist) return 'not-redrivable';
      throw error;
    }
  }
}
