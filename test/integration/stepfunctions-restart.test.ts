import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
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

  it('keeps executions and histories, marks interrupted ones failed, and redrives them', async () => {
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

      await secondClient.send(new RedriveExecutionCommand({ executionArn }));
      await secondClient.send(
        new SendTaskSuccessCommand({ taskToken: await tokenOf(secondClient, executionArn as string), output: '{"packed":true}' }),
      );

      const done = await until(async () => {
        const described = await secondClient.send(new DescribeExecutionCommand({ executionArn }));
        return described.status === 'RUNNING' ? undefined : described;
      });
      expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"packed":true}', redriveCount: 1 });
    } finally {
      await second.service.stop();
      await second.lambdas.stop();
    }
  });
});
