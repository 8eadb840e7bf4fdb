import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../local/sfn/definition.js';
import { appendEvent, type ExecutionRecord } from '../../local/sfn/history.js';
import { plainEffects, sameValue } from '../../local/sfn/in-doubt.js';
import { INTERRUPTED, resumePoint } from '../../local/sfn/resume.js';
import { SfnStore } from '../../local/sfn/store.js';
import { TaskTokens } from '../../local/sfn/tokens.js';

const ARN = 'arn:aws:states:us-east-1:000000000000:execution:orders:ord-1';

const definition: AslDefinition = {
  StartAt: 'Fraud',
  States: {
    Fraud: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Reserve' },
    Reserve: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:dynamodb:transactWriteItems', Next: 'Pick' },
    Pick: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:dynamodb:updateItem.waitForTaskToken', Next: 'Lines' },
    Lines: { Type: 'Map', ItemProcessor: { StartAt: 'Line', States: { Line: { Type: 'Task', Resource: 'x', End: true } } }, End: true },
  },
};

/** An execution whose history is written with the service's own event helper. */
function history(build: (event: (type: string, details?: Record<string, unknown>) => void) => void): ExecutionRecord {
  const execution: ExecutionRecord = {
    executionArn: ARN,
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:orders',
    name: 'ord-1',
    status: 'FAILED',
    startDate: 1,
    input: '{"orderId":"ord-1"}',
    redriveCount: 0,
    events: [],
  };
  build((type, details) => appendEvent(execution, type, details));
  return execution;
}

const entered = (name: string, input: unknown) => ({ name, input: JSON.stringify(input) });
const interrupted = { error: INTERRUPTED, cause: 'stopped' };

describe('where an interrupted execution resumes', () => {
  it('starts over at StartAt with the execution input when no state was entered', () => {
    const point = resumePoint(
      history(() => undefined),
      definition,
      { replay: true },
    );
    expect(point).toEqual({ state: 'Fraud', input: { orderId: 'ord-1' } });
  });

  it('runs a state that had called nothing yet (a drain held it back)', () => {
    const execution = history((event) => {
      event('TaskStateEntered', entered('Fraud', { n: 1 }));
      event('TaskStateExited', { name: 'Fraud', output: '{"n":2}' });
      event('TaskStateEntered', entered('Reserve', { n: 2 }));
      event('ExecutionFailed', interrupted);
    });
    const point = resumePoint(execution, definition, { replay: true });
    expect(point).toMatchObject({ state: 'Reserve', input: { n: 2 } });
    expect(point.replay).toBeUndefined();
  });

  it('hands back the recorded result of a task that had finished, and its recorded failure', () => {
    const succeeded = history((event) => {
      event('TaskStateEntered', entered('Reserve', { n: 2 }));
      event('TaskScheduled', { parameters: '{}' });
      event('TaskSucceeded', { output: '{"ok":true}' });
    });
    expect(resumePoint(succeeded, definition, { replay: true }).replay).toEqual({ kind: 'succeeded', output: { ok: true } });
    const failed = history((event) => {
      event('TaskStateEntered', entered('Fraud', {}));
      event('TaskScheduled', { parameters: '{}' });
      event('TaskFailed', { error: 'GatewayTimeout', cause: 'slow' });
    });
    expect(resumePoint(failed, definition, { replay: true }).replay).toEqual({ kind: 'failed', error: 'GatewayTimeout', cause: 'slow' });
  });

  it('waits again for the token a submitted task was waiting for, and calls again with it when the call was in flight', () => {
    const { token } = new TaskTokens().issue(ARN, 'Pick', {});
    const scheduled = (event: (type: string, details?: Record<string, unknown>) => void) => {
      event('TaskStateEntered', entered('Pick', {}));
      event('TaskScheduled', { parameters: JSON.stringify({ ExpressionAttributeValues: { ':token': { S: token } } }) });
    };
    expect(resumePoint(history(scheduled), definition, { replay: true }).replay).toEqual({ kind: 'inDoubt', token });
    const submitted = history((event) => {
      scheduled(event);
      event('TaskSubmitted', { output: '{}' });
    });
    expect(resumePoint(submitted, definition, { replay: true })).toMatchObject({ state: 'Pick', replay: { kind: 'awaiting', token } });
  });

  it('keeps a replayed outcome through a second interruption: the resumed entry continues the same visit', () => {
    const execution = history((event) => {
      event('TaskStateEntered', entered('Reserve', { n: 2 }));
      event('TaskScheduled', { parameters: '{}' });
      event('TaskSucceeded', { output: '{}' });
      event('ExecutionFailed', interrupted);
      event('ExecutionRedriven', { redriveCount: 1 });
      event('TaskStateEntered', entered('Reserve', { n: 2 }));
      event('ExecutionFailed', interrupted);
    });
    expect(resumePoint(execution, definition, { replay: true }).replay).toEqual({ kind: 'succeeded', output: {} });
  });

  it('re-runs the failed state of an execution that failed on its own, as AWS redrives', () => {
    const execution = history((event) => {
      event('TaskStateEntered', entered('Reserve', { n: 2 }));
      event('TaskScheduled', { parameters: '{}' });
      event('TaskFailed', { error: 'DynamoDb.InternalServerError', cause: 'boom' });
      event('ExecutionFailed', { error: 'DynamoDb.InternalServerError' });
      event('ExecutionRedriven', { redriveCount: 1 });
      event('TaskStateEntered', entered('Reserve', { n: 2 }));
      event('ExecutionFailed', interrupted);
    });
    const point = resumePoint(execution, definition, { replay: true });
    expect(point.state).toBe('Reserve');
    expect(point.replay).toBeUndefined();
    expect(resumePoint(execution, definition, { replay: false }).replay).toBeUndefined();
  });

  it('re-runs a Map state whole, and refuses a state the definition no longer has', () => {
    const inMap = history((event) => {
      event('MapStateEntered', entered('Lines', { items: [1] }));
      event('TaskStateEntered', entered('Line', 1));
      event('TaskScheduled', { parameters: '{}' });
      event('TaskSucceeded', { output: '{}' });
    });
    const point = resumePoint(inMap, definition, { replay: true });
    expect(point).toMatchObject({ state: 'Lines', input: { items: [1] } });
    expect(point.replay).toBeUndefined();
    const renamed = history((event) => event('TaskStateEntered', entered('OldName', {})));
    expect(resumePoint(renamed, definition, { replay: true }).unknownState).toBe('OldName');
  });
});

describe('writes in doubt', () => {
  it('reads the plain SET and REMOVE clauses of an UpdateExpression, skipping arithmetic and functions', () => {
    const effects = plainEffects(
      'SET #status = :confirmed, updatedAt = :at, timeline = list_append(timeline, :entry), available = available - :qty REMOVE reviewToken ADD n :one',
      { '#status': 'status' },
      { ':confirmed': { S: 'CONFIRMED' }, ':at': { S: 't' }, ':entry': { L: [] }, ':qty': { N: '1' }, ':one': { N: '1' } },
    );
    expect(effects).toEqual([
      { name: 'status', value: { S: 'CONFIRMED' } },
      { name: 'updatedAt', value: { S: 't' } },
      { name: 'reviewToken' },
    ]);
    expect(plainEffects('SET total = total + :set', {}, { ':set': { N: '1' } })).toEqual([]);
  });

  it('compares attribute values as DynamoDB does: numbers by value, sets in any order', () => {
    expect(sameValue({ N: '5' }, { N: '5.0' })).toBe(true);
    expect(sameValue({ SS: ['a', 'b'] }, { SS: ['b', 'a'] })).toBe(true);
    expect(sameValue({ M: { a: { L: [{ S: 'x' }] } } }, { M: { a: { L: [{ S: 'x' }] } } })).toBe(true);
    expect(sameValue({ S: '5' }, { N: '5' })).toBe(false);
    expect(sameValue({ M: { a: { S: 'x' } } }, { M: { a: { S: 'x' }, b: { S: 'y' } } })).toBe(false);
  });
});

describe('the execution journal', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-sfn-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has every change on disk before the service goes on, and survives a torn last line', () => {
    const store = new SfnStore(dir);
    const execution = history((event) => event('ExecutionStarted', { input: '{}' }));
    execution.status = 'RUNNING';
    store.executionChanged(execution);
    appendEvent(execution, 'TaskStateEntered', entered('Fraud', {}));
    store.executionChanged(execution);
    const [journal] = readdirSync(path.join(dir, 'executions'));
    // A crash in the middle of an append.
    appendFileSync(path.join(dir, 'executions', journal as string), '{"event":{"id":3,"ty');

    const [loaded] = new SfnStore(dir).loadExecutions();
    expect(loaded?.status).toBe('RUNNING');
    expect(loaded?.events.map((event) => event.type)).toEqual(['ExecutionStarted', 'TaskStateEntered']);
    expect(readdirSync(path.join(dir, 'executions'))).toEqual([(journal as string).replace(/\.jsonl$/, '.json')]);
  });

  it('skips what a snapshot already holds when a crash left the journal beside it', () => {
    const store = new SfnStore(dir);
    const [execution] = store.loadExecutions();
    if (!execution) throw new Error('no execution from the previous test');
    appendEvent(execution, 'ExecutionSucceeded', { output: '{}' });
    execution.status = 'SUCCEEDED';
    store.executionChanged(execution);
    const files = readdirSync(path.join(dir, 'executions'));
    const snapshot = files.find((file) => file.endsWith('.json')) as string;
    const journal = files.find((file) => file.endsWith('.jsonl')) as string;
    // The snapshot written with everything, the journal not yet removed.
    writeFileSync(path.join(dir, 'executions', snapshot), JSON.stringify(execution));
    expect(readFileSync(path.join(dir, 'executions', journal), 'utf8')).toContain('ExecutionSucceeded');

    const [loaded] = new SfnStore(dir).loadExecutions();
    expect(loaded?.status).toBe('SUCCEEDED');
    expect(loaded?.events.map((event) => event.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'ExecutionSucceeded']);
    store.flush();
  });
});
