import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LambdaRuntime, LOCAL_CONCURRENCY } from '../../local/lambda-runtime.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const logDir = mkdtempSync(path.join(tmpdir(), 'conveyor-lambda-runtime-'));
const runtime = new LambdaRuntime({ cdkOut: path.join(root, 'cdk.out'), logDir, baseEnvironment: {} });
const steps = runtime.registerLocal({
  name: 'steps',
  codeDir: path.join(root, 'test', 'fixtures', 'functions', 'steps'),
  timeoutSeconds: 1,
});

afterAll(async () => {
  await runtime.stop();
  rmSync(logDir, { recursive: true, force: true });
});

describe('the local Lambda runtime', () => {
  it('gives each invocation a sandbox to itself, as Lambda does: module state is never shared by two at once', async () => {
    const answers = await Promise.all([1, 2, 3, 4, 5].map((value) => steps.invoke({ action: 'hold', value, ms: 200 })));

    expect(answers.map((answer) => (answer.ok ? answer.payload : answer.error))).toEqual([1, 2, 3, 4, 5].map((held) => ({ held })));
    expect(steps.inFlight).toBe(0);
    // Warm sandboxes are reused, one invocation at a time.
    const again = await Promise.all([6, 7].map((value) => steps.invoke({ action: 'hold', value, ms: 50 })));
    expect(again.map((answer) => answer.coldStart)).toEqual([false, false]);
  });

  it('runs at most its concurrency at once; the others wait for a sandbox and all answer', async () => {
    const values = Array.from({ length: LOCAL_CONCURRENCY + 4 }, (_, i) => i);
    const starts = steps.coldStarts;

    const answers = await Promise.all(values.map((value) => steps.invoke({ action: 'hold', value, ms: 100 })));

    expect(answers.map((answer) => (answer.ok ? answer.payload : answer.error))).toEqual(values.map((held) => ({ held })));
    expect(steps.coldStarts).toBeLessThanOrEqual(Math.max(starts, LOCAL_CONCURRENCY));
  });

  it('discards the sandbox whose invocation timed out (the next one starts cold); the others still answer', async () => {
    await steps.invoke({ action: 'echo' }); // warm
    const tooLong = steps.invoke({ action: 'sleep', ms: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Starts 0.5 s in, answers at 1.3 s: after the first one timed out (1 s), before its own deadline (1.5 s).
    const inTime = steps.invoke({ action: 'sleep', ms: 800 });

    expect(await tooLong).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    expect(await inTime).toMatchObject({ ok: true, payload: { slept: 800 } });
    expect(steps.inFlight).toBe(0);
    expect(readFileSync(path.join(logDir, 'steps.log'), 'utf8')).toMatch(/Task timed out after 1\.00 seconds/);
    // Lambda discards a timed-out sandbox: with every other one busy, the next invocation starts cold.
    const busy = Array.from({ length: LOCAL_CONCURRENCY - 1 }, () => steps.invoke({ action: 'sleep', ms: 300 }));
    expect(await steps.invoke({ action: 'echo', value: 1 })).toMatchObject({ ok: true, payload: { echoed: 1 } });
    await Promise.all(busy);
  });
});
