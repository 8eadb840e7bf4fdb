import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cloud } from './client.js';

const root = path.resolve(import.meta.dirname, '../..');
const EXPECT = ' # ⇒ ';
const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** The README's tour: every ```sh block between "## A short tour" and the next section, in order. */
function tourBlocks(readme: string): string[] {
  const start = readme.indexOf('## A short tour');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

/**
 * The tour as one bash script. A line ending in `# ⇒ text` is a claim: its output must contain `text`.
 * Continuation lines (`\`) are joined first; the README's address is the test cloud's.
 */
function tourScript(blocks: string[], api: string, mailbox: string): string {
  const lines = blocks
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replaceAll('localhost:3000', new URL(api).host).replaceAll('http://127.0.0.1:3003', mailbox));
  const steps = lines.map((line, index) => {
    const at = line.indexOf(EXPECT);
    if (at === -1) return line;
    const command = line.slice(0, at).trim();
    const claim = line.slice(at + EXPECT.length).trim();
    return `out=$(${command})\nprintf '%s\\n' "$out"\nclaim ${shellQuote(claim)} ${shellQuote(`line ${index + 1}: ${command}`)} "$out"`;
  });
  const claim = `claim() { grep -qF -- "$1" <<<"$3" || { printf 'README tour, %s\\n  expected the output to contain: %s\\n' "$2" "$1" >&2; exit 1; }; }`;
  return ['set -euo pipefail', claim, ...steps].join('\n');
}

describe('the README tour', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-tour-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs as written against the local cloud, and every claimed outcome holds', async () => {
    // Arrange: a folder that looks like the project after `npm start`, with the test cloud's endpoints.
    for (const entry of ['package.json', 'node_modules', 'local', 'lambdas', 'tsconfig.json'])
      symlinkSync(path.join(root, entry), path.join(dir, entry));
    mkdirSync(path.join(dir, '.local'));
    writeFileSync(path.join(dir, '.local', 'endpoints.json'), JSON.stringify({ ...cloud, table: cloud.tableName }));
    const blocks = tourBlocks(readFileSync(path.join(root, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThan(2);
    const script = path.join(dir, 'tour.sh');
    writeFileSync(script, tourScript(blocks, cloud.api, cloud.mailbox));

    // Act
    const run = await promisify(execFile)('bash', [script], {
      cwd: dir,
      env: { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}:${process.env.PATH}` },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${error.stderr || error.message}\n--- output ---\n${(error.stdout ?? '').slice(-4000)}`);
    });

    // Assert: every claim was checked by the script itself; it also ended where the tour says.
    expect(run.stdout).toContain('DELIVERED');
  }, 180_000);
});
