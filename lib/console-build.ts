import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** What goes into the console's build: its sources and the workflow it draws. */
const SOURCES = ['console/src', 'console/index.html', 'console/vite.config.ts', 'statemachines/order-workflow.asl.json'];

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce((newest, name) => Math.max(newest, newestMtime(path.join(entry, name))), stat.mtimeMs);
}

export const consoleDist = (root: string) => path.join(root, 'console', 'dist');

/** True when console/dist holds a build newer than every source of the console. */
export function isConsoleBuildFresh(root: string): boolean {
  const index = path.join(consoleDist(root), 'index.html');
  if (!existsSync(index)) return false;
  return statSync(index).mtimeMs > Math.max(...SOURCES.map((entry) => newestMtime(path.join(root, entry))));
}

/** Runs `vite build` for the console into `outDir` (about a second; no network, no Docker). Throws with Vite's output when it fails. */
export function buildConsole(root: string, outDir: string): void {
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(
    process.execPath,
    [vite, 'build', path.join(root, 'console'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `Building the console failed (vite build, exit ${result.status}):\n${`${result.stdout ?? ''}${result.stderr ?? ''}`.trim() || result.error?.message}`,
    );
  }
}

/**
 * Builds console/dist when it is missing or older than its sources, and says so through `log`. The build goes to a
 * folder of its own and then takes dist's place, so a server reading dist (or another process building it at the
 * same moment) never sees half a build.
 */
export function ensureConsoleBuilt(root: string, log: (line: string) => void): string {
  const dist = consoleDist(root);
  if (isConsoleBuildFresh(root)) return dist;
  log(`Building the console (console/dist is ${existsSync(dist) ? 'older than its sources' : 'missing'})…`);
  const staging = mkdtempSync(path.join(root, 'console', '.dist-'));
  try {
    buildConsole(root, staging);
    const previous = `${staging}-previous`;
    try {
      renameSync(dist, previous);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    try {
      renameSync(staging, dist);
    } catch (error) {
      // Another process put its build in place first: use that one.
      if (!existsSync(dist)) throw error;
    }
    rmSync(previous, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dist;
}

/** Copies a fresh console/dist to `outDir`, or builds the console straight into it (CDK's local bundling). */
export function bundleConsole(root: string, outDir: string): void {
  if (isConsoleBuildFresh(root)) {
    try {
      cpSync(consoleDist(root), outDir, { recursive: true });
      return;
    } catch {
      // dist changed while it was copied (a local cloud rebuilding it): build a copy of our own.
      rmSync(outDir, { recursive: true, force: true });
    }
  }
  buildConsole(root, outDir);
}
