import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { LocalCloudError } from './processes.js';

const SOURCES = ['bin', 'lib', 'lambdas', 'statemachines', 'cdk.json', 'package-lock.json'];

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce((newest, name) => Math.max(newest, newestMtime(path.join(entry, name))), stat.mtimeMs);
}

/** True when cdk.out was synthesized after the last change to anything that goes into it. */
export function isCloudAssemblyFresh(root: string, cdkOut: string): boolean {
  const manifest = path.join(cdkOut, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const sources = Math.max(...SOURCES.map((entry) => newestMtime(path.join(root, entry))));
  return statSync(manifest).mtimeMs > sources;
}

/** Runs `cdk synth` (offline, no credentials needed) unless cdk.out is already fresh. */
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
    const child = spawn(process.execPath, [cli, 'synth', '--quiet', '--output', cdkOut], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
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
