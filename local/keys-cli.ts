import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoApiKeyRepository } from '../lambdas/adapters/api-key-repository.js';
import { generateApiKey } from '../lambdas/domain/api-keys.js';
import { Scope, StorefrontId } from '../lambdas/domain/auth.js';
import type { Endpoints } from './cloud.js';

const USAGE = `Manage Conveyor API keys (stored hashed; a new key is shown once).

  npm run keys -- create --scope <storefront|ops|warehouse|finance> [--storefront <id>] [--name <label>]
  npm run keys -- list
  npm run keys -- revoke <keyId>

Target: the running local cloud (.local/endpoints.json) by default;
  --endpoints <file>    another local cloud's endpoints.json
  --table <name>        a deployed stack's table, with your AWS credentials and region`;

function fail(message: string): never {
  console.error(`✖ ${message}`);
  process.exit(2);
}

function repository(values: { endpoints?: string; table?: string; region?: string }): DynamoApiKeyRepository {
  if (values.table) {
    return new DynamoApiKeyRepository(values.table, DynamoDBDocumentClient.from(new DynamoDBClient({ region: values.region })));
  }
  // npm run keys runs in the project's folder, where npm start writes .local/endpoints.json.
  const file = values.endpoints ?? path.join(process.cwd(), '.local', 'endpoints.json');
  if (!existsSync(file)) fail(`No local cloud found (${file} is missing): run npm start first, or pass --table for a deployed stack.`);
  const endpoints = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
  const client = new DynamoDBClient({
    endpoint: endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return new DynamoApiKeyRepository(endpoints.table, DynamoDBDocumentClient.from(client));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      scope: { type: 'string' },
      storefront: { type: 'string' },
      name: { type: 'string' },
      endpoints: { type: 'string' },
      table: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, argument] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const keys = repository(values);
  switch (command) {
    case 'create': {
      const scope = Scope.safeParse(values.scope);
      if (!scope.success) fail(`--scope must be one of ${Scope.options.join(', ')}.`);
      if (scope.data === 'storefront' && !StorefrontId.safeParse(values.storefront).success) {
        fail('A storefront key needs --storefront <id> (lowercase letters, digits and dashes).');
      }
      if (scope.data !== 'storefront' && values.storefront) fail('--storefront only applies to --scope storefront.');
      const created = generateApiKey({ scope: scope.data, storefrontId: values.storefront, name: values.name });
      await keys.create(created.record);
      console.log(
        `Created ${created.record.keyId} (${created.record.name}). This is the only time the key is shown:\n\n  ${created.secret}\n`,
      );
      return;
    }
    case 'list': {
      const records = await keys.list();
      if (records.length === 0) console.log('No keys.');
      for (const key of records) {
        console.log(
          [
            key.keyId,
            key.scope.padEnd(10),
            (key.storefrontId ?? '-').padEnd(16),
            key.createdAt,
            key.revokedAt ? `revoked ${key.revokedAt}` : 'active',
            key.name,
          ].join('  '),
        );
      }
      return;
    }
    case 'revoke': {
      if (!argument) fail('Say which key: npm run keys -- revoke <keyId> (see npm run keys -- list).');
      if (!(await keys.revoke(argument))) fail(`No key ${argument}; see npm run keys -- list.`);
      console.log(`Revoked ${argument}; requests with it now get 401.`);
      return;
    }
    default:
      fail(`Unknown command "${command}".\n\n${USAGE}`);
  }
}

main().catch((error: Error & { code?: string }) => {
  const unreachable = error.code === 'ECONNREFUSED' || /ECONNREFUSED|connect/.test(String(error.message));
  fail(unreachable ? 'The local cloud is not running: start it with npm start (or pass --table for a deployed stack).' : error.message);
});
