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
  it('creates a storefront key that works once, lists it, and revokes it', async () => {
    const created = await keysCli('create', '--scope', 'storefront', '--storefront', 'acme');
    const secret = /(cvy_storefront_\S+)/.exec(created.stdout)?.[1] as string;
    const keyId = /(key_[0-9a-f]+)/.exec(created.stdout)?.[1] as string;
    expect((await api('GET', '/products/MUG-001', { key: secret })).status).toBe(200);

    const listed = await keysCli('list');
    expect(listed.stdout).toContain(keyId);
    expect(listed.stdout).not.toContain(secret);

    await keysCli('revoke', keyId);
    expect((await api('GET', '/products/MUG-001', { key: secret })).status).toBe(401);
  });

  it('refuses a storefront key without a storefront id', async () => {
    await expect(keysCli('create', '--scope', 'storefront')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--storefront'),
    });
  });
});
