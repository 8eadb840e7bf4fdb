import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { LambdaRuntime } from '../../local/lambda-runtime.js';
import { LocalStepFunctions } from '../../local/stepfunctions.js';

const root = path.resolve(import.meta.dirname, '../..');
const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-sfn-restart-'));

function startService() {
  const lambdas = new LambdaRuntime({ cdkOut: root, logDir: path.join(stateDir, 'logs'), baseEnvironment: {} });
  lambdas.registerLocal({ name: 'test-steps', codeDir: path.join(root, 'test', 'fixtures', 'functions', 'steps') });
  const service = new LocalStepFunctions({
    lambdas,
    sdk: () => Promise.reject(new Error('no SDK services in this test')),
    stateDir: path.join(stateDir, 'stepfunctions'),
  });
  return { lambdas, service };
}

const client = (endpoint: string) =>
  new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not met in time');
}

async function tokenOf(sfn: SFNClient, executionArn: string): Promise<string> {
  return until(async () => {
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    // Waiting for real: the invoke that hands out the token has returned (TaskSubmitted).
    if (events.at(-1)?.type !== 'TaskSubmitted') return undefined;
    const scheduled = events.filter((event) => event.type === 'TaskScheduled').at(-1);
    return /"token":"([^"]+)"/.exec(scheduled?.taskScheduledEventDetails?.parameters ?? '')?.[1];
  });
}

describe('local Step Functions across a restart', () => {
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('keeps executions and histories, marks interrupted ones, and resumes a wait with the same task token', async () => {
    const first = startService();
    const firstClient = client(await first.service.listen(0));
    const { stateMachineArn } = await firstClient.send(
      new CreateStateMachineCommand({
        name: 'restart-test',
        roleArn: 'arn:aws:iam::000000000000:role/test',
        definition: JSON.stringify({
          StartAt: 'Warehouse',
          States: {
            Warehouse: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              Parameters: { FunctionName: 'test-steps', Payload: { action: 'echo', 'token.$': '$$.Task.Token' } },
              End: true,
            },
          },
        }),
      }),
    );
    const { executionArn } = await firstClient.send(
      new StartExecutionCommand({ stateMachineArn, name: 'order-7', input: '{"orderId":"7"}' }),
    );
    await tokenOf(firstClient, executionArn as string);
    await first.service.stop();
    await first.lambdas.stop();

    const second = startService();
    const secondClient = client(await second.service.listen(0));
    try {
      const interrupted = await secondClient.send(new DescribeExecutionCommand({ executionArn }));
      expect(interrupted).toMatchObject({ status: 'FAILED', error: 'Local.Interrupted', redriveStatus: 'REDRIVABLE' });
      const { events = [] } = await secondClient.send(new GetExecutionHistoryCommand({ executionArn }));
      expect(events.map((event) => event.type)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSubmitted',
        'ExecutionFailed',
      ]);

      const token = /"token":"([^"]+)"/.exec(events[2]?.taskScheduledEventDetails?.parameters ?? '')?.[1] as string;
      expect(second.service.resumeInterrupted()).toMatchObject({ resumed: 1, waiting: 1, notResumed: [] });
      // The token handed out before the restart (a workflow may have stored it, e.g. on an order) completes the task.
      await secondClient.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"packed":true}' }));

      const done = await until(async () => {
        const described = await secondClient.send(new DescribeExecutionCommand({ executionArn }));
        return described.status === 'RUNNING' ? undefined : described;
      });
      expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"packed":true}', redriveCount: 1 });
      const after = await secondClient.send(new GetExecutionHistoryCommand({ executionArn }));
      expect(after.events?.slice(5).map((event) => event.type)).toEqual([
        'ExecutionFailed',
        'ExecutionRedriven',
        'TaskStateEntered',
        'TaskSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ]);
    } finally {
      await second.service.stop();
      await second.lambdas.stop();
    }
  });

  it('drains: a step in flight finishes, the next one waits, and after the restart each runs once', async () => {
    const trace = path.join(stateDir, 'drained.txt');
    const first = startService();
    const firstClient = client(await first.service.listen(0));
    const executionArn = await startTwoSteps(firstClient, 'drained', trace, 500);
    await until(async () => (first.service.callsInFlight().get('Slow') ? true : undefined));

    first.service.drain();
    await until(async () => (first.service.callsInFlight().size === 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100)); // time enough to call Then, were it let through
    expect(first.service.interrupt('The test stopped the service')).toEqual({ paused: 1, waiting: 0, inDoubt: 0 });
    await first.service.stop();
    await first.lambdas.stop();
    expect(readFileSync(trace, 'utf8')).toBe('Slow\n');

    const second = startService();
    try {
      expect(second.service.resumeInterrupted()).toMatchObject({ resumed: 1, waiting: 0, inDoubt: 0 });
      expect(await finished(client(await second.service.listen(0)), executionArn)).toBe('SUCCEEDED');
      expect(readFileSync(trace, 'utf8')).toBe('Slow\nThen\n');
    } finally {
      await second.service.stop();
      await second.lambdas.stop();
    }
  });

  it('calls a step again after the restart when it was cut off in flight (a drain out of time)', async () => {
    const trace = path.join(stateDir, 'cut-off.txt');
    const first = startService();
    const firstClient = client(await first.service.listen(0));
    const executionArn = await startTwoSteps(firstClient, 'cut-off', trace, 800);
    await until(async () => (first.service.callsInFlight().get('Slow') ? true : undefined));

    expect(first.service.interrupt('The test stopped the service')).toEqual({ paused: 0, waiting: 0, inDoubt: 1 });
    await first.service.stop();
    await first.lambdas.stop(); // ends the function in the middle of its call
    expect(existsSync(trace)).toBe(false);

    const second = startService();
    try {
      expect(second.service.resumeInterrupted()).toMatchObject({ resumed: 1, inDoubt: 1 });
      const secondClient = client(await second.service.listen(0));
      expect(await finished(secondClient, executionArn)).toBe('SUCCEEDED');
      expect(readFileSync(trace, 'utf8')).toBe('Slow\nThen\n');
      const { events = [] } = await secondClient.send(new GetExecutionHistoryCommand({ executionArn }));
      expect(events.filter((event) => event.type === 'TaskScheduled')).toHaveLength(3); // Slow twice, Then once
    } finally {
      await second.service.stop();
      await second.lambdas.stop();
    }
  });
});

/** Two recording steps, Slow (taking `ms`) then Then; returns the started execution's ARN. */
async function startTwoSteps(sfn: SFNClient, name: string, trace: string, ms: number): Promise<string> {
  const step = (value: string, wait: number, next?: string) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: 'test-steps', Payload: { action: 'record', value, ms: wait, file: trace } },
    ResultPath: `$.${value}`,
    ...(next ? { Next: next } : { End: true }),
  });
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: `${name}-test`,
      roleArn: 'arn:aws:iam::000000000000:role/test',
      definition: JSON.stringify({ StartAt: 'Slow', States: { Slow: step('Slow', ms, 'Then'), Then: step('Then', 0) } }),
    }),
  );
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{}' }));
  return executionArn as string;
}

async function finished(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  const described = await until(async () => {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return execution.status === 'RUNNING' ? undefined : execution;
  });
  return described.status;
}
