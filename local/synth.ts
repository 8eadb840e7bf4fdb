import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { contextFlags, SANDBOX_CONFIG } from '../lib/config.js';
import { LocalCloudError } from './processes.js';
import type { CfnTemplate } from './template.js';

const SOURCES = ['bin', 'lib', 'lambdas', 'statemachines', 'cdk.json', 'package-lock.json'];

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce((newest, name) => Math.max(newest, newestMtime(path.join(entry, name))), stat.mtimeMs);
}

/**
 * True when the template runs on the sandbox gateway and carrier: a `cdk deploy -c paymentGateway=stripe` may have
 * written cdk.out last, and the local cloud must not reuse that assembly.
 */
function isSandboxAssembly(cdkOut: string): boolean {
  const file = path.join(cdkOut, 'Conveyor.template.json');
  if (!existsSync(file)) return false;
  const template = JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
  const environments = Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
  return environments.every(
    (variables) =>
      (variables.PAYMENT_GATEWAY ?? SANDBOX_CONFIG.paymentGateway) === SANDBOX_CONFIG.paymentGateway &&
      (variables.CARRIER ?? SANDBOX_CONFIG.carrier) === SANDBOX_CONFIG.carrier,
  );
}

/** True when cdk.out holds the sandbox app, synthesized after the last change to anything that goes into it. */
export function isCloudAssemblyFresh(root: string, cdkOut: string): boolean {
  const manifest = path.join(cdkOut, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const sources = Math.max(...SOURCES.map((entry) => newestMtime(path.join(root, entry))));
  return statSync(manifest).mtimeMs > sources && isSandboxAssembly(cdkOut);
}

/** Runs `cdk synth` with the sandbox configuration (offline, no credentials needed) unless cdk.out is already fresh. */
export async function ensureCloudAssembly(root: string, log: (line: string) => void): Promise<string> {
  const cdkOut = path.join(root, 'cdk.out');
  if (isCloudAssemblyFresh(root, cdkOut)) {
    log('cdk.out is up to date; reusing it.');
    return cdkOut;
  }
  log('Synthesizing the CDK app and bundling the functions (about 10 s)…');
  const cli = path.join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'synth', '--quiet', ...contextFlags(SANDBOX_CONFIG), '--output', cdkOut], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    throw new LocalCloudError(`cdk synth failed (exit ${code}); fix the errors below and start again:\n${output.join('').trim()}`);
  }
  return cdkOut;
}
