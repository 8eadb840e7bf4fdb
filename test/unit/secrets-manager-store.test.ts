import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore } from '../../lambdas/adapters/secrets-manager-store.js';
import { MisconfiguredFunction } from '../../lambdas/domain/errors.js';
import { UNSET_SECRET_VALUE } from '../../lambdas/domain/secrets.js';
import { LocalSecrets } from '../../local/secrets.js';

const template = {
  Resources: {
    WebhookSecretA1B2C3D4: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: { GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 40 } },
    },
    StripeKeyE5F6A7B8: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: UNSET_SECRET_VALUE } },
  },
};
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('SecretsManagerStore on the local Secrets Manager stand-in', () => {
  let stateDir: string;
  let local: LocalSecrets;
  let client: SecretsManagerClient;
  let webhook: string;
  let stripe: string;
  let calls: string[];

  /** A store whose providers count the GetSecretValue calls they make (by version stage). */
  function store(now = Date.now, maxAgeSeconds = 300) {
    const provider = () => {
      const counting = new SecretsManagerClient({ endpoint: client.config.endpoint, region: 'us-east-1', credentials });
      counting.middlewareStack.add(
        (next) => async (args) => {
          calls.push(String((args.input as { VersionStage?: string }).VersionStage ?? 'AWSCURRENT'));
          return next(args);
        },
        { step: 'initialize' },
      );
      return new SecretsProvider({ awsSdkV3Client: counting });
    };
    return new SecretsManagerStore({ current: provider(), previous: provider(), maxAgeSeconds, now });
  }
  const rotate = (secretId: string, value: string) => client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-secrets-'));
    local = new LocalSecrets(template, stateDir);
    const endpoint = await local.listen(0);
    client = new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials });
    const ids = local.identities();
    webhook = ids.get('WebhookSecretA1B2C3D4')?.ref as string;
    stripe = ids.get('StripeKeyE5F6A7B8')?.ref as string;
  });
  afterAll(async () => {
    client.destroy();
    await local.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    calls = [];
  });

  it('serves a generated secret by ARN (what Ref resolves to) and by name, and keeps it across restarts', async () => {
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: webhook }));
    const byName = await client.send(new GetSecretValueCommand({ SecretId: byArn.Name }));

    expect(webhook).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:WebhookSecret-.+-.{6}$/);
    expect(byArn.SecretString).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(byName.SecretString).toBe(byArn.SecretString);
    expect(byArn.VersionStages).toEqual(['AWSCURRENT']);
    expect(new LocalSecrets(template, stateDir).currentValue(webhook)).toBe(byArn.SecretString);
    expect(readFileSync(path.join(stateDir, 'secrets.json'), 'utf8')).toContain(byArn.SecretString);
  });

  it('accepts only the current value of a secret never rotated: a missing AWSPREVIOUS is no error, and is cached too', async () => {
    const secrets = store();
    const current = (await client.send(new GetSecretValueCommand({ SecretId: webhook }))).SecretString;

    const first = await secrets.accepted(webhook);
    const second = await secrets.accepted(webhook);

    expect(first).toEqual([current]);
    expect(second).toEqual([current]);
    expect(calls).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });

  it('accepts current then previous after a rotation, once the cache expires; the value before that no more', async () => {
    let clock = Date.now();
    const secrets = store(() => clock, 1);
    const original = await secrets.get(webhook);
    await rotate(webhook, 'second-value-0123456789abcdef0123456789');
    const cached = await secrets.accepted(webhook);

    await new Promise((resolve) => setTimeout(resolve, 1100)); // Powertools' own cache runs on the real clock
    clock += 1100;
    const afterOne = await secrets.accepted(webhook);
    await rotate(webhook, 'third-value-0123456789abcdef01234567890');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    clock += 1100;
    const afterTwo = await secrets.accepted(webhook);

    expect(cached).toEqual([original]);
    expect(afterOne).toEqual(['second-value-0123456789abcdef0123456789', original]);
    expect(afterTwo).toEqual(['third-value-0123456789abcdef01234567890', 'second-value-0123456789abcdef0123456789']);
  });

  it('reads each value once per cache period (5 minutes by default), however many requests ask', async () => {
    const secrets = store();

    await Promise.all([secrets.get(webhook), secrets.get(webhook)]);
    for (let request = 0; request < 10; request++) await secrets.accepted(webhook);

    expect(calls.filter((stage) => stage === 'AWSCURRENT').length).toBeLessThanOrEqual(2);
    expect(calls.filter((stage) => stage === 'AWSPREVIOUS')).toHaveLength(1);
  });

  it('refuses the placeholder of an unfilled key with the command that fills it in, then takes the put value', async () => {
    const secrets = store(Date.now, 0);

    await expect(secrets.get(stripe)).rejects.toThrow(MisconfiguredFunction);
    await expect(secrets.get(stripe)).rejects.toThrow(`aws secretsmanager put-secret-value --secret-id ${stripe}`);
    await rotate(stripe, 'sk_test_filled');
    expect(await secrets.get(stripe)).toBe('sk_test_filled');
  });

  it('reports a secret that does not exist as a misconfigured function', async () => {
    const missing = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:Nope-abcdef';

    await expect(store().get(missing)).rejects.toThrow(MisconfiguredFunction);
    await expect(store().accepted(missing)).rejects.toThrow(/does not exist/);
  });
});
