import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { api, cloud } from './client.js';

const run = promisify(execFile);
const endpointsFile = path.join(mkdtempSync(path.join(tmpdir(), 'conveyor-keys-')), 'endpoints.json');
writeFileSync(endpointsFile, JSON.stringify(cloud));

const keysCli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'local/keys-cli.ts', ...args, '--endpoints', endpointsFile], {
    cwd: path.resolve(import.meta.dirname, '../..'),
  });

describe('npm run keys', () => {
  it('creates storefront keys that work, lists them without secrets, and revokes them', async () => {
    const secretOf = (stdout: string) => /(cvy_storefront_\S+)/.exec(stdout)?.[1] as string;
    const keyIdOf = (stdout: string) => /(key_[0-9a-f]+)/.exec(stdout)?.[1] as string;
    const used = await keysCli('create', '--scope', 'storefront', '--storefront', 'acme');
    const revoked = await keysCli('create', '--scope', 'storefront', '--storefront', 'acme', '--name', 'to revoke');
    expect((await api('GET', '/products/MUG-001', { key: secretOf(used.stdout) })).status).toBe(200);

    await keysCli('revoke', keyIdOf(revoked.stdout));
    const listed = await keysCli('list');

    expect(listed.stdout).toContain(keyIdOf(used.stdout));
    expect(listed.stdout).not.toContain(secretOf(used.stdout));
    expect(listed.stdout).toMatch(new RegExp(`${keyIdOf(revoked.stdout)}.*revoked`));
    expect((await api('GET', '/products/MUG-001', { key: secretOf(revoked.stdout) })).status).toBe(401);
  });

  it('refuses a storefront key without a storefront id', async () => {
    await expect(keysCli('create', '--scope', 'storefront')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--storefront'),
    });
  });
});
