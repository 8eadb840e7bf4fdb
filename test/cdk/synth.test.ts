import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleSizes, overBudget, strayAssetFiles } from '../../bench/bundles.js';
import { contextFlags, SANDBOX_CONFIG } from '../../lib/config.js';
import { isCdkBucketDeployment } from './stack-template.js';

const root = path.resolve(import.meta.dirname, '../..');
const outdir = mkdtempSync(path.join(tmpdir(), 'conveyor-synth-'));

describe('cdk synth', () => {
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes offline, without credentials, bundling every function, and passes cdk-nag AwsSolutions', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: 'conveyor-no-such-profile',
    };
    delete env.CDK_VALIDATION;
    const cli = path.join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');

    const { stderr } = await promisify(execFile)(
      process.execPath,
      [cli, 'synth', '--quiet', ...contextFlags(SANDBOX_CONFIG), '--output', outdir],
      { cwd: root, env },
    );

    expect(stderr).not.toMatch(/ERROR/);
    const template = JSON.parse(readFileSync(path.join(outdir, 'Conveyor.template.json'), 'utf8'));
    const functions = Object.entries(template.Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>)
      .filter(([id, resource]) => resource.Type === 'AWS::Lambda::Function' && !isCdkBucketDeployment(id))
      .map(([, resource]) => resource);
    for (const fn of functions)
      expect(readFileSync(path.join(outdir, fn.Metadata?.['aws:asset:path'] as string, 'index.mjs'), 'utf8').length).toBeGreaterThan(1000);

    // Every bundle within its budget, no source map in a deployed asset, each map kept beside the assets.
    const sizes = bundleSizes(outdir);
    expect(sizes).toHaveLength(functions.length);
    expect(overBudget(sizes)).toEqual([]);
    expect(strayAssetFiles(sizes)).toEqual([]);
    for (const size of sizes) expect(existsSync(path.join(outdir, 'sourcemaps', `${size.function}.mjs.map`)), size.function).toBe(true);
  });
});
