import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidDefinition,
  InvalidToken,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { cloud, documentClient } from './client.js';
import { createMachine, eventually, history, run, STEPS_FUNCTION_ARN, sfn, tokenOf, waitForEnd } from './sfn-client.js';

const invoke = (payload: object, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: STEPS_FUNCTION_ARN, Payload: payload },
  ResultSelector: { 'value.$': '$.Payload' },
  ...extra,
});
/** A task that hands its token to the test function and waits for SendTask*. */
const waitForToken = {
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: { FunctionName: STEPS_FUNCTION_ARN, Payload: { action: 'echo', 'token.$': '$$.Task.Token' } },
};
const types = (events: { type?: string }[]) => events.map((event) => event.type);

describe('local Step Functions: the happy path and the history', () => {
  it('runs Pass, a Lambda task and a Choice, and records the path event by event', async () => {
    const machine = await createMachine('happy-path.asl.json');

    const execution = await run(machine, { value: 42, route: 'express' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output as string)).toMatchObject({ result: { echoed: 42, status: 200 }, path: 'express' });
    const events = await history(execution.executionArn as string);
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.slice(1).every((event, i) => event.previousEventId === i + 1)).toBe(true);
    expect(events[4]?.taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke' });
    expect(events[10]?.stateEnteredEventDetails?.name).toBe('Express');
  });

  it('takes the Choice default for other input', async () => {
    const machine = await createMachine('happy-path.asl.json');
    const execution = await run(machine, { value: 1, route: 'ground' });
    expect(JSON.parse(execution.output as string).path).toBe('standard');
  });
});

describe('local Step Functions: errors, retries and compensation', () => {
  it('retries a failing task with backoff until it succeeds', async () => {
    const machine = await createMachine({
      StartAt: 'Flaky',
      States: {
        Flaky: invoke(
          { action: 'flaky', 'key.$': '$$.Execution.Name', failTimes: 2 },
          { Retry: [{ ErrorEquals: ['FlakyError'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 }], End: true },
        ),
      },
    });

    const execution = await run(machine, {});

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output as string)).toEqual({ value: { attempts: 3 } });
    const events = await history(execution.executionArn as string);
    const scheduled = events.filter((event) => event.type === 'TaskScheduled').map((event) => (event.timestamp as Date).getTime());
    expect(types(events).filter((type) => type === 'TaskFailed')).toHaveLength(2);
    expect(scheduled).toHaveLength(3);
    // IntervalSeconds 2 then ×2, at the suite's 1/100 time scale: at least 20 ms, then at least 40 ms.
    expect((scheduled[1] as number) - (scheduled[0] as number)).toBeGreaterThanOrEqual(19);
    expect((scheduled[2] as number) - (scheduled[1] as number)).toBeGreaterThanOrEqual(39);
  });

  it('catches a task error by name and runs the compensation', async () => {
    const machine = await createMachine({
      StartAt: 'Charge',
      States: {
        Charge: invoke(
          { action: 'fail', errorName: 'PaymentDeclined', message: 'card declined' },
          { Catch: [{ ErrorEquals: ['PaymentDeclined'], ResultPath: '$.error', Next: 'Compensate' }], Next: 'Done' },
        ),
        Compensate: { Type: 'Pass', Result: 'released', ResultPath: '$.compensation', Next: 'Rejected' },
        Rejected: { Type: 'Fail', Error: 'OrderRejected', Cause: 'payment declined' },
        Done: { Type: 'Succeed' },
      },
    });

    const execution = await run(machine, {});

    expect(execution).toMatchObject({ status: 'FAILED', error: 'OrderRejected', cause: 'payment declined' });
    const events = await history(execution.executionArn as string);
    const failed = events.find((event) => event.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails?.error).toBe('PaymentDeclined');
    expect(JSON.parse(failed?.taskFailedEventDetails?.cause as string)).toMatchObject({
      errorType: 'PaymentDeclined',
      errorMessage: 'card declined',
    });
    expect(events.some((event) => event.stateEnteredEventDetails?.name === 'Compensate')).toBe(true);
    expect(types(events).at(-1)).toBe('ExecutionFailed');
  });

  it('names a DynamoDB condition failure as AWS does, so Catch can branch on it', async () => {
    const pk = `SFN-TEST#${Date.now()}`;
    await documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: { pk, sk: 'ONCE' } }));
    const machine = await createMachine({
      StartAt: 'PutOnce',
      States: {
        PutOnce: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: {
            TableName: cloud.tableName,
            Item: { pk: { 'S.$': '$.pk' }, sk: { S: 'ONCE' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
          Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'AlreadyThere' }],
          Next: 'Reserve',
        },
        AlreadyThere: { Type: 'Pass', Next: 'Reserve' },
        Reserve: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:dynamodb:transactWriteItems',
          Parameters: {
            TransactItems: [
              {
                Put: {
                  TableName: cloud.tableName,
                  Item: { pk: { 'S.$': '$.pk' }, sk: { S: 'ONCE' } },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          },
          Catch: [{ ErrorEquals: ['DynamoDb.TransactionCanceledException'], ResultPath: '$.error', Next: 'OutOfStock' }],
          End: true,
        },
        OutOfStock: { Type: 'Pass', Result: 'caught', End: true },
      },
    });

    const execution = await run(machine, { pk });

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output as string)).toBe('caught');
    const errors = (await history(execution.executionArn as string))
      .filter((event) => event.type === 'TaskFailed')
      .map((event) => event.taskFailedEventDetails?.error);
    expect(errors).toEqual(['DynamoDB.ConditionalCheckFailedException', 'DynamoDb.TransactionCanceledException']);
  });
});

describe('local Step Functions: Parallel, Map and Wait', () => {
  it('runs Parallel branches and Map iterations and collects their results in order', async () => {
    const machine = await createMachine({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Left', States: { Left: invoke({ action: 'echo', value: 'left' }, { End: true }) } },
            { StartAt: 'Right', States: { Right: { Type: 'Pass', Result: 'right', End: true } } },
          ],
          ResultPath: '$.parallel',
          Next: 'Pause',
        },
        Pause: { Type: 'Wait', Seconds: 1, Next: 'Each' },
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: 'EchoItem', States: { EchoItem: invoke({ action: 'echo', 'value.$': '$' }, { End: true }) } },
          ResultPath: '$.mapped',
          End: true,
        },
      },
    });

    const execution = await run(machine, { items: [1, 2, 3] });

    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output as string);
    expect(output.parallel).toEqual([{ value: { echoed: 'left' } }, 'right']);
    expect(output.mapped).toEqual([1, 2, 3].map((n) => ({ value: { echoed: n } })));
    const eventTypes = types(await history(execution.executionArn as string));
    expect(eventTypes).toEqual(
      expect.arrayContaining(['ParallelStateEntered', 'ParallelStateSucceeded', 'WaitStateEntered', 'WaitStateExited', 'MapStateEntered']),
    );
    expect(eventTypes.filter((type) => type === 'MapIterationSucceeded')).toHaveLength(3);
  });
});

describe('local Step Functions: task tokens', () => {
  const sqs = new SQSClient({ endpoint: cloud.sqs, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

  it('waits on a task token sent over SQS and resumes on SendTaskSuccess', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `tokens-${Date.now()}` }));
    const machine = await createMachine({
      StartAt: 'AskWarehouse',
      States: {
        AskWarehouse: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          Parameters: { QueueUrl, MessageBody: { 'orderId.$': '$.orderId', 'TaskToken.$': '$$.Task.Token' } },
          End: true,
        },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: '{"orderId":"o-1"}' }));

    const message = await eventually(
      async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }))).Messages?.[0],
    );
    const body = JSON.parse(message.Body as string);
    expect(body.orderId).toBe('o-1');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: body.TaskToken, output: '{"packed":true}' }));

    const execution = await waitForEnd(executionArn as string);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output as string)).toEqual({ packed: true });
    expect(types(await history(executionArn as string))).toEqual(expect.arrayContaining(['TaskSubmitted', 'TaskSucceeded']));
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: body.TaskToken, output: '{}' }))).rejects.toBeInstanceOf(
      TaskDoesNotExist,
    );
  });

  it('fails the task on SendTaskFailure with the given error, which Catch matches', async () => {
    const machine = await createMachine({
      StartAt: 'Review',
      States: {
        Review: {
          ...waitForToken,
          Catch: [{ ErrorEquals: ['ReviewRejected'], ResultPath: '$.review', Next: 'Rejected' }],
          End: true,
        },
        Rejected: { Type: 'Pass', End: true },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: '{}' }));
    const token = await tokenOf(executionArn as string);

    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'ReviewRejected', cause: 'fraud team said no' }));

    const execution = await waitForEnd(executionArn as string);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output as string).review).toEqual({ Error: 'ReviewRejected', Cause: 'fraud team said no' });
  });

  it('times a task out when heartbeats stop, and then answers TaskTimedOut', async () => {
    const machine = await createMachine({
      StartAt: 'Pick',
      States: {
        Pick: {
          ...waitForToken,
          HeartbeatSeconds: 1,
          Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.timeout', Next: 'Alarm' }],
          End: true,
        },
        Alarm: { Type: 'Pass', End: true },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: '{}' }));
    const token = await tokenOf(executionArn as string);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })); // keeps it alive past the first second

    const execution = await waitForEnd(executionArn as string);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output as string).timeout.Error).toBe('States.HeartbeatTimeout');
    const events = await history(executionArn as string);
    const started = events.find((event) => event.type === 'TaskStarted')?.timestamp as Date;
    const timedOut = events.find((event) => event.type === 'TaskTimedOut')?.timestamp as Date;
    expect(timedOut.getTime() - started.getTime()).toBeGreaterThanOrEqual(1500);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('times out a task after TimeoutSeconds with States.Timeout, which States.TaskFailed does not catch', async () => {
    const machine = await createMachine({
      StartAt: 'Wait',
      States: {
        Wait: {
          ...waitForToken,
          TimeoutSeconds: 1,
          Catch: [
            { ErrorEquals: ['States.TaskFailed'], Next: 'WrongBranch' },
            { ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'TimedOut' },
          ],
          End: true,
        },
        WrongBranch: { Type: 'Fail', Error: 'CaughtByTaskFailed' },
        TimedOut: { Type: 'Pass', End: true },
      },
    });

    const execution = await run(machine, {});

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output as string).timeout.Error).toBe('States.Timeout');
    const events = await history(execution.executionArn as string);
    expect(events.find((event) => event.type === 'TaskTimedOut')?.taskTimedOutEventDetails?.error).toBe('States.Timeout');
  });

  it('refuses a malformed token with InvalidToken', async () => {
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
  });
});

describe('local Step Functions: the execution API', () => {
  it('refuses an invalid definition with InvalidDefinition', async () => {
    await expect(createMachine({ StartAt: 'Missing', States: { Other: { Type: 'Pass', End: true } } })).rejects.toBeInstanceOf(
      InvalidDefinition,
    );
    await expect(
      createMachine({ StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync', End: true } } }),
    ).rejects.toThrow(/\.sync/);
  });

  const waitingMachine = () =>
    createMachine({
      StartAt: 'Wait',
      States: {
        Wait: {
          ...waitForToken,
          End: true,
        },
      },
    });

  it('treats a duplicate StartExecution as AWS does', async () => {
    const machine = await waitingMachine();
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'order-1', input: '{"a":1}' }));

    const same = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'order-1', input: '{"a":1}' }));
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'order-1', input: '{"a":2}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    expect(same.executionArn).toBe(first.executionArn);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: await tokenOf(first.executionArn as string), output: '{}' }));
    await waitForEnd(first.executionArn as string);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'order-1', input: '{"a":1}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('stops an execution, lists by status with pagination, and answers unknown ARNs', async () => {
    const machine = await waitingMachine();
    const running = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'keep-running', input: '{}' }));
    const stopped = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'to-stop', input: '{}' }));
    await tokenOf(stopped.executionArn as string);

    await sfn.send(new StopExecutionCommand({ executionArn: stopped.executionArn, error: 'Ops.Cancelled', cause: 'customer asked' }));

    const described = await waitForEnd(stopped.executionArn as string);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Ops.Cancelled', cause: 'customer asked' });
    expect(types(await history(stopped.executionArn as string)).at(-1)).toBe('ExecutionAborted');
    const runningOnly = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: 'RUNNING' }));
    expect(runningOnly.executions?.map((execution) => execution.name)).toEqual(['keep-running']);
    const firstPage = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1 }));
    const secondPage = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1, nextToken: firstPage.nextToken }),
    );
    expect([firstPage.executions?.[0]?.name, secondPage.executions?.[0]?.name]).toEqual(['to-stop', 'keep-running']);
    expect(secondPage.nextToken).toBeUndefined();
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${running.executionArn}-nope` }))).rejects.toBeInstanceOf(
      ExecutionDoesNotExist,
    );
    await sfn.send(new StopExecutionCommand({ executionArn: running.executionArn }));
  });

  it('redrives a failed execution from the state that failed', async () => {
    const machine = await createMachine({
      StartAt: 'First',
      States: {
        First: { Type: 'Pass', Result: 'done once', ResultPath: '$.first', Next: 'Flaky' },
        Flaky: invoke({ action: 'flaky', 'key.$': '$$.Execution.Name', failTimes: 1 }, { End: true }),
      },
    });
    const failed = await run(machine, {});
    expect(failed).toMatchObject({ status: 'FAILED', error: 'FlakyError' });

    await sfn.send(new RedriveExecutionCommand({ executionArn: failed.executionArn }));

    const redriven = await waitForEnd(failed.executionArn as string);
    expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    const eventTypes = types(await history(failed.executionArn as string));
    expect(eventTypes.filter((type) => type === 'PassStateEntered')).toHaveLength(1); // First did not run again
    expect(eventTypes).toContain('ExecutionRedriven');
  });
});
