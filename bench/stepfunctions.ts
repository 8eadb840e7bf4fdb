import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateStateMachineCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startLocalCloud } from '../local/cloud.js';

const root = path.resolve(import.meta.dirname, '..');

export interface SfnRun {
  machine: string;
  states: number;
  executions: number;
  seconds: number;
  executionsPerSecond: number;
  /** Wall-clock milliseconds per state transition at full load (both cores busy). */
  msPerTransition: number;
  failed: number;
}

export interface SfnBenchResult {
  runs: SfnRun[];
}

/** A 10-state order-like machine: five DynamoDB tasks (no Lambda), a Choice and Pass states. */
function dynamoMachine(table: string) {
  const key = { pk: { 'S.$': "States.Format('BENCH#{}', $$.Execution.Name)" }, sk: { S: 'ORDER' } };
  return {
    StartAt: 'Init',
    States: {
      Init: { Type: 'Pass', Parameters: { 'id.$': '$$.Execution.Name', qty: 1 }, Next: 'PutOrder' },
      PutOrder: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:putItem',
        Parameters: { TableName: table, Item: { ...key, status: { S: 'PENDING' } }, ConditionExpression: 'attribute_not_exists(pk)' },
        ResultPath: null,
        Next: 'ReadOrder',
      },
      ReadOrder: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:getItem',
        Parameters: { TableName: table, Key: key },
        ResultSelector: { 'status.$': '$.Item.status.S' },
        ResultPath: '$.order',
        Next: 'IsPending',
      },
      IsPending: { Type: 'Choice', Choices: [{ Variable: '$.order.status', StringEquals: 'PENDING', Next: 'Confirm' }], Default: 'Failed' },
      Confirm: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: 'CONFIRMED' } },
        },
        ResultPath: null,
        Next: 'Timeline',
      },
      Timeline: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:dynamodb:transactWriteItems',
        Parameters: {
          TransactItems: [
            { Put: { TableName: table, Item: { pk: key.pk, sk: { S: 'TIMELINE#1' }, status: { S: 'CONFIRMED' } } } },
            {
              Update: { TableName: table, Key: key, UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': { N: '2' } } },
            },
          ],
        },
        ResultPath: null,
        Next: 'Shape',
      },
      Shape: { Type: 'Pass', Parameters: { 'id.$': '$.id', status: 'CONFIRMED' }, Next: 'Cleanup' },
      Cleanup: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:deleteItem',
        Parameters: { TableName: table, Key: key },
        ResultPath: null,
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
      Failed: { Type: 'Fail', Error: 'NotPending' },
    },
  };
}

/** Ten states of which two call DynamoDB (a reservation transaction and a status update), like the order workflow up to CONFIRMED. */
function twoTaskMachine(table: string) {
  const full = dynamoMachine(table);
  const { PutOrder: _put, ReadOrder: _read, Cleanup: _cleanup, ...kept } = full.States;
  return {
    StartAt: 'Init',
    States: {
      ...kept,
      Init: { Type: 'Pass', Parameters: { 'id.$': '$$.Execution.Name', qty: 1 }, Next: 'Screen' },
      Screen: { Type: 'Pass', Result: { status: 'PENDING' }, ResultPath: '$.order', Next: 'Price' },
      Price: { Type: 'Pass', Result: { total: 1299 }, ResultPath: '$.price', Next: 'IsPending' },
      Timeline: { ...full.States.Timeline, Next: 'Shape' },
      Shape: { Type: 'Pass', Parameters: { 'id.$': '$.id', status: 'CONFIRMED' }, Next: 'Notify' },
      Notify: { Type: 'Pass', Result: 'queued', ResultPath: '$.email', Next: 'Done' },
    },
  };
}

/** Ten Pass states: what the service and engine cost per transition, with no service call at all. */
function passMachine() {
  const states: Record<string, object> = {};
  for (let i = 1; i <= 10; i++)
    states[`Step${i}`] = i === 10 ? { Type: 'Pass', End: true } : { Type: 'Pass', Result: i, ResultPath: `$.s${i}`, Next: `Step${i + 1}` };
  return { StartAt: 'Step1', States: states };
}

export async function benchStepFunctions(log: (line: string) => void): Promise<SfnBenchResult> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-bench-sfn-'));
  const cloud = await startLocalCloud({ root, stateDir, persist: false, port: 0 });
  const sfn = new SFNClient({
    endpoint: cloud.endpoints.stepfunctions,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const runs: SfnRun[] = [];
  try {
    for (const [label, definition, states, total] of [
      ['10 states, 5 DynamoDB tasks', dynamoMachine(cloud.tableName), 10, 2000],
      ['10 states, 2 DynamoDB tasks', twoTaskMachine(cloud.tableName), 10, 3000],
      ['10 Pass states', passMachine(), 10, 5000],
    ] as const) {
      const name = `bench-${runs.length}`;
      const { stateMachineArn } = await sfn.send(
        new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::000000000000:role/bench' }),
      );
      const before = cloud.stepFunctions.counts();
      const started = performance.now();
      let next = 0;
      // Start executions from 32 callers through the real API, then wait for the service to finish them all.
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < total) {
            const id = next++;
            await sfn.send(new StartExecutionCommand({ stateMachineArn, name: `e${id}`, input: '{}' }));
          }
        }),
      );
      const done = () => {
        const counts = cloud.stepFunctions.counts();
        return (counts.SUCCEEDED ?? 0) - (before.SUCCEEDED ?? 0) + (counts.FAILED ?? 0) - (before.FAILED ?? 0);
      };
      const deadline = Date.now() + 120_000;
      while (done() < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      const seconds = (performance.now() - started) / 1000;
      const failed = (cloud.stepFunctions.counts().FAILED ?? 0) - (before.FAILED ?? 0);
      const run: SfnRun = {
        machine: label,
        states,
        executions: done(),
        seconds,
        executionsPerSecond: done() / seconds,
        msPerTransition: (seconds * 1000) / (done() * states),
        failed,
      };
      log(
        `${label}: ${run.executionsPerSecond.toFixed(0)} executions/s, ${run.msPerTransition.toFixed(3)} ms per transition, ${failed} failed`,
      );
      runs.push(run);
    }
    return { runs };
  } finally {
    sfn.destroy();
    await cloud.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
