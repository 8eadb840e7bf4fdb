import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { routes } from '../api/routes.js';
import { NotFoundError } from '../domain/errors.js';
import { stepFunctions } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';
import { apiHandler } from '../shared/http.js';

const stateMachineArn = requireEnv('STATE_MACHINE_ARN');
/** arn:…:stateMachine:Name → arn:…:execution:Name:<orderId> */
const executionArnOf = (orderId: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`;

function shape(event: HistoryEvent) {
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

export const handler = apiHandler(routes.getOrderExecution, async ({ params }) => {
  const executionArn = executionArnOf(params.orderId);
  try {
    const execution = await stepFunctions.send(new DescribeExecutionCommand({ executionArn }));
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await stepFunctions.send(
        new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: false }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return {
      status: 200,
      body: {
        executionArn,
        status: execution.status,
        startDate: execution.startDate?.toISOString(),
        ...(execution.stopDate ? { stopDate: execution.stopDate.toISOString() } : {}),
        events: events.map(shape),
      },
    };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) throw new NotFoundError(`The workflow of order ${params.orderId}`);
    throw error;
  }
});
