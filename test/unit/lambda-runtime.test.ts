import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LambdaRuntime } from '../../local/lambda-runtime.js';

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
  it('times out only the invocation that ran too long: another one on the same warm worker still answers', async () => {
    await steps.invoke({ action: 'echo' }); // warm
    const tooLong = steps.invoke({ action: 'sleep', ms: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Starts 0.5 s in, answers at 1.3 s: after the first one timed out (1 s), before its own deadline (1.5 s).
    const inTime = steps.invoke({ action: 'sleep', ms: 800 });

    expect(await tooLong).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    expect(await inTime).toMatchObject({ ok: true, payload: { slept: 800 } });
    expect(steps.inFlight).toBe(0);
    // Lambda discards a timed-out sandbox: the next invocation starts cold.
    expect(await steps.invoke({ action: 'echo', value: 1 })).toMatchObject({ ok: true, coldStart: true, payload: { echoed: 1 } });
  });
});
