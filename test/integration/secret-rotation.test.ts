import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetSecretValueCommand, ListSecretsCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signEasyPostPayload } from '../../lambdas/adapters/easypost-events.js';
import { signCarrierPayload } from '../../lambdas/domain/tracking.js';
import { type Endpoints, type LocalCloud, secretMaxAgeSeconds, startLocalCloud } from '../../local/cloud.js';

// Rotating the carrier webhook secret without refusing a carrier: on a local cloud of its own, since rotating the
// shared one's secret twice would refuse the other tests' signatures.

const root = path.resolve(import.meta.dirname, '../..');
const TIME_SCALE = 0.01;
/** Long enough for every function's cached secret to expire (the local cloud scales Secrets Manager caching like its waits). */
const CACHE_EXPIRY_MS = secretMaxAgeSeconds(TIME_SCALE) * 1000 + 500;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let stateDir: string;
let cloud: LocalCloud;
let secretsManager: SecretsManagerClient;
let webhookSecretArn: string;
let events = 0;

function carrierEvent() {
  return JSON.stringify({
    eventId: `rotation-${process.pid}-${++events}`,
    trackingNumber: `ROT${Date.now()}${events}`,
    status: 'IN_TRANSIT',
    occurredAt: new Date().toISOString(),
  });
}

/** The status a carrier event signed with `secret` gets from POST /carrier/events. */
async function postSignedWith(secret: string): Promise<number> {
  const body = carrierEvent();
  const response = await fetch(`${cloud.endpoints.api}/carrier/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-conveyor-signature': signCarrierPayload(body, secret) },
    body,
  });
  await response.text();
  return response.status;
}

/** The status an EasyPost-signed tracker event gets from POST /carrier/easypost/events (refused or taken, queued or not). */
async function postEasyPostSignedWith(secret: string): Promise<number> {
  const body = JSON.stringify({ id: `evt_rotation${++events}`, object: 'Event', description: 'batch.created', result: {} });
  const response = await fetch(`${cloud.endpoints.api}/carrier/easypost/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hmac-signature': signEasyPostPayload(body, secret) },
    body,
  });
  await response.text();
  return response.status;
}

async function rotate(value: string): Promise<void> {
  await secretsManager.send(new PutSecretValueCommand({ SecretId: webhookSecretArn, SecretString: value }));
}

const publishedSecret = () => (JSON.parse(readFileSync(path.join(stateDir, 'endpoints.json'), 'utf8')) as Endpoints).carrierSecret;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'conveyor-rotation-'));
  cloud = await startLocalCloud({ root, stateDir, persist: false, port: 0, timeScale: TIME_SCALE });
  secretsManager = new SecretsManagerClient({
    endpoint: cloud.endpoints.secretsmanager,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { SecretList = [] } = await secretsManager.send(new ListSecretsCommand({}));
  for (const { ARN } of SecretList) {
    const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: ARN }));
    if (SecretString === cloud.endpoints.carrierSecret) webhookSecretArn = ARN as string;
  }
});

afterAll(async () => {
  secretsManager?.destroy();
  await cloud?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('rotating the carrier webhook secret (PutSecretValue)', () => {
  it('serves a generated webhook secret, not a development constant, and publishes it as carrierSecret', async () => {
    expect(webhookSecretArn).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:/);
    expect(cloud.endpoints.carrierSecret).toMatch(/^[A-Za-z0-9]{32,}$/);
    expect(await postSignedWith(cloud.endpoints.carrierSecret)).toBe(202);
    expect(await postSignedWith('local-carrier-secret')).toBe(401);
  });

  it('keeps accepting the previous value after a rotation, and only current and previous after a second one', async () => {
    const first = cloud.endpoints.carrierSecret;
    const second = 'SecondWebhookSecret0123456789abcdefghijklmn';
    const third = 'ThirdWebhookSecret0123456789abcdefghijklmno';

    await rotate(second);
    const publishedAfterOne = publishedSecret();
    await wait(CACHE_EXPIRY_MS);
    const afterOne = { first: await postSignedWith(first), second: await postSignedWith(second) };
    await rotate(third);
    await wait(CACHE_EXPIRY_MS);
    const afterTwo = {
      first: await postSignedWith(first),
      second: await postSignedWith(second),
      third: await postSignedWith(third),
      easyPostFirst: await postEasyPostSignedWith(first),
      easyPostSecond: await postEasyPostSignedWith(second),
    };

    expect(publishedAfterOne).toBe(second);
    expect(afterOne).toEqual({ first: 202, second: 202 });
    expect(afterTwo).toEqual({ first: 401, second: 202, third: 202, easyPostFirst: 401, easyPostSecond: 202 });
    expect(publishedSecret()).toBe(third);
  });
});
