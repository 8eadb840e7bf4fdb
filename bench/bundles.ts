import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { contextFlags, SANDBOX_CONFIG } from '../lib/config.js';

/**
 * Bundle sizes are deterministic, so a budget is a test (test/cdk/synth.test.ts runs it on every
 * synthesized function), and `npm run bench -- bundles` reports sizes with cold module-load times.
 */
export const BUNDLE_BUDGET_BYTES = 300 * 1024;
/** Functions on every request's path get a tighter budget. */
export const TIGHT_BUDGETS: Record<string, number> = { authorizer: 150 * 1024, health: 150 * 1024 };

export interface BundleSize {
  /** The function's folder under lambdas/ (its CONVEYOR_FUNCTION variable). */
  function: string;
  bundle: string;
  bytes: number;
  budget: number;
}

interface TemplateFunction {
  Type: string;
  Metadata?: Record<string, unknown>;
  Properties?: { Environment?: { Variables?: Record<string, unknown> } };
}

/** Every function of a synthesized cloud assembly with its bundle's size and budget. */
export function bundleSizes(assemblyDir: string, stackName = 'Conveyor'): BundleSize[] {
  const template = JSON.parse(readFileSync(path.join(assemblyDir, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<string, TemplateFunction>;
  };
  return (
    Object.entries(template.Resources)
      // Conveyor's functions (CDK's own BucketDeployment handler, Python, has no CONVEYOR_FUNCTION and no bundle).
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties?.Environment?.Variables?.CONVEYOR_FUNCTION)
      .map(([logicalId, resource]) => {
        const name = String(resource.Properties?.Environment?.Variables?.CONVEYOR_FUNCTION ?? logicalId);
        const asset = resource.Metadata?.['aws:asset:path'];
        if (typeof asset !== 'string') throw new Error(`Function ${name} has no bundled asset; synthesize with bundling.`);
        const bundle = path.join(assemblyDir, asset, 'index.mjs');
        return { function: name, bundle, bytes: statSync(bundle).size, budget: TIGHT_BUDGETS[name] ?? BUNDLE_BUDGET_BYTES };
      })
      .sort((a, b) => a.function.localeCompare(b.function))
  );
}

export const overBudget = (sizes: readonly BundleSize[]) => sizes.filter((size) => size.bytes > size.budget);

/** Files in an asset folder other than the bundle: a source map here would ship in the deployed zip. */
export function strayAssetFiles(sizes: readonly BundleSize[]): string[] {
  return sizes.flatMap((size) => {
    const dir = path.dirname(size.bundle);
    return existsSync(`${size.bundle}.map`) ? [path.relative(dir, `${size.bundle}.map`)] : [];
  });
}

export interface BundleBenchResult {
  functions: (BundleSize & { loadMs: number; ratioToEmpty: number })[];
  emptyLoadMs: number;
}

/** Median over fresh processes of the time to import a module (what Lambda's init spends loading code). */
function coldLoadMs(file: string, runs: number, runtimeModules: string): number {
  const probe = [
    "import { registerHooks } from 'node:module';",
    `registerHooks({ resolve: (s, c, n) => n(s, s.startsWith('@aws-sdk/') ? { ...c, parentURL: ${JSON.stringify(runtimeModules)} } : c) });`,
    'const started = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'process.stdout.write(String(performance.now() - started));',
  ].join('\n');
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    // Handlers read their configuration at load; dummy values keep them from refusing to start.
    const env = {
      ...process.env,
      TABLE_NAME: 't',
      STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:0:stateMachine:m',
      CARRIER_EVENTS_QUEUE_URL: 'q',
      CARRIER_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:0:secret:s-abcdef',
      POWERTOOLS_DEV: 'true',
    };
    times.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8' })));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

/** Synthesizes the app with bundling, then measures each function's bundle and cold module-load time. */
export async function benchBundles(log: (line: string) => void): Promise<BundleBenchResult> {
  const root = path.resolve(import.meta.dirname, '..');
  const outdir = mkdtempSync(path.join(tmpdir(), 'conveyor-bundles-'));
  try {
    log('Synthesizing with bundling…');
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--quiet', ...contextFlags(SANDBOX_CONFIG), '--output', outdir],
      {
        cwd: root,
        stdio: 'ignore',
      },
    );
    const runtimeModules = pathToFileURL(path.join(root, 'node_modules', 'x')).href;
    const empty = path.join(outdir, 'empty.mjs');
    writeFileSync(empty, 'export const handler = async () => ({});\n');
    const emptyLoadMs = coldLoadMs(empty, 9, runtimeModules);
    const functions = bundleSizes(outdir).map((size) => {
      const loadMs = coldLoadMs(size.bundle, 9, runtimeModules);
      log(`${size.function}: ${(size.bytes / 1024).toFixed(0)} KB, loads in ${loadMs.toFixed(1)} ms`);
      return { ...size, bundle: path.relative(outdir, size.bundle), loadMs, ratioToEmpty: loadMs / emptyLoadMs };
    });
    return { functions, emptyLoadMs };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
