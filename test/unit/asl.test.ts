import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const folders = ['statemachines', 'test/fixtures/statemachines'];
const files = folders.flatMap((folder) =>
  readdirSync(path.join(root, folder))
    .filter((name) => name.endsWith('.asl.json'))
    .map((name) => path.join(folder, name)),
);

describe('ASL files', () => {
  it('finds the state machines to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s is valid Amazon States Language', (file) => {
    // Definition substitutions (${Name}) are resolved at deploy time; the validator sees a placeholder ARN.
    const text = readFileSync(path.join(root, file), 'utf8').replace(
      /\$\{\w+\}/g,
      'arn:aws:lambda:us-east-1:000000000000:function:placeholder',
    );
    const { isValid, errorsText } = aslValidator(JSON.parse(text), { checkArn: true, checkPaths: true });
    expect(isValid, errorsText('\n')).toBe(true);
  });
});

describe('the order workflow', () => {
  const definition = JSON.parse(readFileSync(path.join(root, 'statemachines/order-workflow.asl.json'), 'utf8')) as {
    States: Record<string, { Retry?: { ErrorEquals: string[] }[] }>;
  };
  const retriers = Object.entries(definition.States).flatMap(([state, { Retry = [] }]) => Retry.map((retry) => ({ state, retry })));

  it('retries a Lambda timeout wherever it retries a lost answer: both leave the outcome unknown, and every step is idempotent', () => {
    const lostAnswer = retriers.filter(({ retry }) => retry.ErrorEquals.includes('Lambda.SdkClientException'));
    expect(lostAnswer.length).toBeGreaterThan(10);
    expect(lostAnswer.filter(({ retry }) => !retry.ErrorEquals.includes('Sandbox.Timedout')).map(({ state }) => state)).toEqual([]);
  });
});
