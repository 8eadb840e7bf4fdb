import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { executionPath, takenTransitions } from '../../console/src/execution-path.js';
import { type AslGraph, workflowGraph } from '../../console/src/workflow-graph.js';
import { buildConsole } from '../../lib/console-build.js';

const root = path.resolve(import.meta.dirname, '../..');
const at = '2026-01-01T00:00:00.000Z';
const event = (type: string, details: { stateName?: string; error?: string; cause?: string } = {}) => ({ type, timestamp: at, ...details });

describe('the console’s execution path', () => {
  it('marks each state entered as done, retried, caught, stopped or redriven, with its errors', () => {
    const path = executionPath([
      event('ExecutionStarted'),
      event('TaskStateEntered', { stateName: 'Authorize' }),
      event('LambdaFunctionScheduled'),
      event('LambdaFunctionFailed', { error: 'TransientFailure', cause: 'gateway busy' }),
      event('LambdaFunctionScheduled'),
      event('LambdaFunctionSucceeded'),
      event('TaskStateExited', { stateName: 'Authorize' }),
      event('TaskStateEntered', { stateName: 'Capture' }),
      event('LambdaFunctionScheduled'),
      event('LambdaFunctionFailed', { error: 'PaymentDeclined' }),
      event('TaskStateExited', { stateName: 'Capture' }),
      event('TaskStateEntered', { stateName: 'ReleaseStock' }),
      event('TaskScheduled'),
      event('ExecutionAborted', { error: 'Ops.Stopped' }),
      event('ExecutionRedriven'),
      event('TaskStateEntered', { stateName: 'ReleaseStock' }),
      event('TaskScheduled'),
    ]);

    expect(path.steps.map((step) => [step.state, step.outcome, step.attempts, step.redriven])).toEqual([
      ['Authorize', 'succeeded', 2, false],
      ['Capture', 'caught', 1, false],
      ['ReleaseStock', 'aborted', 1, false],
      ['ReleaseStock', 'running', 1, true],
    ]);
    expect(path.steps[0]?.errors).toEqual([{ error: 'TransientFailure', cause: 'gateway busy' }]);
    expect(path.redrives).toBe(1);
    expect(path.end).toBeUndefined();
    // A redrive re-enters a state; it is not a transition of the graph.
    expect([...takenTransitions(path)]).toEqual(['Authorize→Capture', 'Capture→ReleaseStock']);
  });

  it('ends with the execution’s error when it failed', () => {
    const path = executionPath([
      event('TaskStateEntered', { stateName: 'BuyLabel' }),
      event('LambdaFunctionScheduled'),
      event('LambdaFunctionFailed', { error: 'CarrierDown' }),
      event('ExecutionFailed', { error: 'CarrierDown', cause: 'no label' }),
    ]);
    expect(path.steps[0]?.outcome).toBe('failed');
    expect(path.end).toEqual({ outcome: 'failed', error: 'CarrierDown', cause: 'no label' });
  });
});

describe('the console’s workflow graph', () => {
  it('lists every state of the order workflow once, from StartAt, with its transitions', () => {
    const asl = JSON.parse(readFileSync(path.join(root, 'statemachines', 'order-workflow.asl.json'), 'utf8')) as AslGraph;
    const graph = workflowGraph(asl);
    expect(graph[0]?.name).toBe(asl.StartAt);
    expect(graph.map((node) => node.name).sort()).toEqual(Object.keys(asl.States).sort());
    expect(graph.find((node) => node.name === 'HoldForReview')?.transitions).toContainEqual({
      to: 'RejectForFraud',
      kind: 'catch',
      errors: ['ReviewRejected', 'States.Timeout'],
    });
  });
});

describe('the console’s bundle', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'conveyor-console-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('stays small for a phone: at most 60 KB of JavaScript gzipped, the workflow’s task parameters left out', () => {
    buildConsole(root, outDir);
    const assets = path.join(outDir, 'assets');
    const scripts = readdirSync(assets).filter((file) => file.endsWith('.js'));
    const code = scripts.map((file) => readFileSync(path.join(assets, file)));
    const gzipped = code.reduce((sum, file) => sum + gzipSync(file, { level: 9 }).length, 0);

    expect(scripts.length).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(60 * 1024);
    // The graph, not the ASL's parameters: no table layout in the browser.
    expect(Buffer.concat(code).toString()).toContain('CreatePickTask');
    expect(Buffer.concat(code).toString()).not.toContain('UpdateExpression');
  });
});
