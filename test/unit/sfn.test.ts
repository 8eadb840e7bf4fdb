import { describe, expect, it } from 'vitest';
import { type AslDefinition, allStates, MAX_TIMER_SECONDS, prepareForEngine } from '../../local/sfn/definition.js';
import { recordEngineEvent } from '../../local/sfn/engine-events.js';
import { SfnApiError, TaskError } from '../../local/sfn/errors.js';
import { appendEvent, detailsKey, type ExecutionRecord } from '../../local/sfn/history.js';
import { parseResource } from '../../local/sfn/tasks.js';
import { TaskTokens } from '../../local/sfn/tokens.js';

const definition: AslDefinition = {
  StartAt: 'A',
  States: {
    A: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Retry: [{ ErrorEquals: ['X'], IntervalSeconds: 2, MaxDelaySeconds: 10 }],
      Next: 'B',
    },
    B: { Type: 'Wait', Seconds: 5, Next: 'C' },
    C: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'D', States: { D: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', TimeoutSeconds: 30, End: true } } },
      ],
      Next: 'G',
    },
    G: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', TimeoutSeconds: 2_592_000, Next: 'E' },
    E: { Type: 'Map', ItemProcessor: { StartAt: 'F', States: { F: { Type: 'Pass', End: true } } }, End: true },
  },
};

describe('ASL definitions for the engine', () => {
  it('walks nested Parallel and Map states', () => {
    expect([...allStates(definition)].map(([name]) => name)).toEqual(['A', 'B', 'C', 'D', 'G', 'E', 'F']);
  });

  it("gives tasks AWS's no-timeout default and scales Retry and Wait times, leaving the original alone", () => {
    const prepared = prepareForEngine(definition, { timeScale: 0.01 });
    expect(prepared.States.A).toMatchObject({
      TimeoutSeconds: MAX_TIMER_SECONDS,
      Retry: [{ IntervalSeconds: 0.02, MaxDelaySeconds: 0.1 }],
    });
    expect(prepared.States.B?.Seconds).toBe(0.05);
    const branch = (prepared.States.C?.Branches as AslDefinition[] | undefined)?.[0];
    expect(branch?.States.D?.TimeoutSeconds).toBe(30);
    expect(definition.States.A?.TimeoutSeconds).toBeUndefined();
    expect(prepared.States.G?.TimeoutSeconds).toBe(MAX_TIMER_SECONDS); // 30 days would overflow Node's timer
  });
});

describe('task resources', () => {
  it('reads optimized, SDK and Lambda ARN resources', () => {
    expect(parseResource('arn:aws:states:::lambda:invoke.waitForTaskToken')).toMatchObject({
      integration: 'lambda-invoke',
      waitForTaskToken: true,
    });
    expect(parseResource('arn:aws:states:::dynamodb:updateItem')).toMatchObject({
      integration: 'dynamodb',
      resourceType: 'dynamodb',
      resource: 'updateItem',
    });
    expect(parseResource('arn:aws:states:::aws-sdk:dynamodb:transactWriteItems')).toMatchObject({
      integration: 'aws-sdk',
      resourceType: 'aws-sdk:dynamodb',
      action: 'transactWriteItems',
    });
    expect(parseResource('arn:aws:lambda:us-east-1:000000000000:function:Pay')).toMatchObject({ integration: 'lambda-function' });
  });

  it('refuses what the local service cannot run, naming it', () => {
    expect(() => parseResource('arn:aws:states:::ecs:runTask.sync')).toThrow(/\.sync/);
    expect(() => parseResource('arn:aws:states:::aws-sdk:ec2:describeInstances')).toThrow(/no ec2 service/);
    expect(() => parseResource('arn:aws:states:::dynamodb:putItem.waitForTaskToken')).toThrow(TaskError);
  });
});

describe('history events', () => {
  it('uses the details keys AWS uses', () => {
    expect(detailsKey('TaskStateEntered')).toBe('stateEnteredEventDetails');
    expect(detailsKey('MapStateExited')).toBe('stateExitedEventDetails');
    expect(detailsKey('TaskScheduled')).toBe('taskScheduledEventDetails');
    expect(detailsKey('ExecutionFailed')).toBe('executionFailedEventDetails');
  });

  it('translates engine events and skips those AWS has no counterpart for', () => {
    const execution = { events: [] } as unknown as ExecutionRecord;
    const record = (type: string, details?: Record<string, unknown>) => void appendEvent(execution, type, details);
    recordEngineEvent({ type: 'StateEntered', state: { name: 'Both', type: 'Parallel', input: { a: 1 } } }, record);
    recordEngineEvent({ type: 'StateRetried', state: { name: 'Both', type: 'Parallel', input: {} } }, record);
    recordEngineEvent({ type: 'MapIterationStarted', parentState: { name: 'Each', type: 'Map' }, index: 2 }, record);
    recordEngineEvent({ type: 'StateExited', state: { name: 'Both', type: 'Parallel', input: {}, output: [1] } }, record);

    expect(execution.events.map((event) => event.type)).toEqual([
      'ParallelStateEntered',
      'ParallelStateStarted',
      'MapIterationStarted',
      'ParallelStateSucceeded',
      'ParallelStateExited',
    ]);
    expect(JSON.parse(JSON.stringify(execution.events[0]))).toMatchObject({
      id: 1,
      previousEventId: 0,
      stateEnteredEventDetails: { name: 'Both', input: '{"a":1}' },
    });
    expect(execution.events[2]?.mapIterationStartedEventDetails).toEqual({ name: 'Each', index: 2 });
  });
});

describe('task tokens', () => {
  it('completes a token once; afterwards it does not exist', async () => {
    const tokens = new TaskTokens();
    const { token, completion } = tokens.issue('arn:exec', 'Pick', {});
    tokens.succeed(token, { ok: true });
    await expect(completion).resolves.toEqual({ ok: true });
    expect(() => tokens.succeed(token, {})).toThrow(expect.objectContaining({ type: 'TaskDoesNotExist' }));
  });

  it('tells malformed tokens from finished ones', () => {
    const tokens = new TaskTokens();
    expect(() => tokens.heartbeat('garbage')).toThrow(SfnApiError);
    expect(() => tokens.heartbeat('garbage')).toThrow(expect.objectContaining({ type: 'InvalidToken' }));
  });

  it('fails with States.HeartbeatTimeout when heartbeats stop, then answers TaskTimedOut', async () => {
    const tokens = new TaskTokens();
    const { token, completion } = tokens.issue('arn:exec', 'Pick', { heartbeatSeconds: 0.05 });
    await expect(completion).rejects.toMatchObject({ name: 'States.HeartbeatTimeout' });
    expect(() => tokens.succeed(token, {})).toThrow(expect.objectContaining({ type: 'TaskTimedOut' }));
  });

  it('closes the tokens of a stopped execution only', async () => {
    const tokens = new TaskTokens();
    const stopped = tokens.issue('arn:one', 'A', {});
    const other = tokens.issue('arn:two', 'A', {});
    tokens.closeExecution('arn:one');
    await expect(stopped.completion).rejects.toBeInstanceOf(TaskError);
    expect(tokens.pending).toBe(1);
    tokens.succeed(other.token, 1);
    await expect(other.completion).resolves.toBe(1);
  });
});
