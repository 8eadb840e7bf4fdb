import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { cloud } from './client.js';

export const sfn = new SFNClient({
  endpoint: cloud.stepfunctions,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
export const STEPS_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:test-steps';

let machines = 0;
/** Creates a uniquely named state machine from a definition object or a fixture file, with ${…} substitutions. */
export async function createMachine(definition: object | string, substitutions: Record<string, string> = {}): Promise<string> {
  let text =
    typeof definition === 'string'
      ? readFileSync(path.resolve(import.meta.dirname, '..', 'fixtures', 'statemachines', definition), 'utf8')
      : JSON.stringify(definition);
  for (const [key, value] of Object.entries({ StepsFunctionArn: STEPS_FUNCTION_ARN, TableName: cloud.tableName, ...substitutions })) {
    text = text.split(`\${${key}}`).join(value);
  }
  machines++;
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: `test-${process.pid}-${machines}-${Date.now()}`,
      definition: text,
      roleArn: 'arn:aws:iam::000000000000:role/test',
    }),
  );
  return stateMachineArn as string;
}

export async function waitForEnd(executionArn: string, timeoutMs = 20_000): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${executionArn} still running after ${timeoutMs} ms`);
}

export async function run(stateMachineArn: string, input: unknown, name?: string): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }));
  return waitForEnd(executionArn as string);
}

export async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 50 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Polls until `find` returns something (e.g. a task token appears in the history). */
export async function eventually<T>(find: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not met in time');
}

/** The task token handed to a waitForTaskToken task, read from its TaskScheduled parameters. */
export async function tokenOf(executionArn: string): Promise<string> {
  return eventually(async () => {
    const scheduled = (await history(executionArn)).find(
      (event) => event.type === 'TaskScheduled' && event.taskScheduledEventDetails?.resource?.endsWith('.waitForTaskToken'),
    );
    if (!scheduled) return undefined;
    return (/"(?:token|TaskToken)":"([^"]+)"/.exec(scheduled.taskScheduledEventDetails?.parameters ?? '') ?? [])[1];
  });
}
