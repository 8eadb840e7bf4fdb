import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalCloud, startLocalCloud } from './cloud.js';
import { LocalCloudError } from './processes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// CONVEYOR_STATE_DIR moves data, logs and endpoints.json elsewhere (the benchmarks use a temporary folder).
const stateDir = path.resolve(process.env.CONVEYOR_STATE_DIR ?? path.join(root, '.local'));

function summary(cloud: LocalCloud, seconds: string): string {
  const { endpoints } = cloud;
  return [
    '',
    `Conveyor's local cloud is up (${seconds} s).`,
    '',
    `  HTTP API        ${endpoints.api}        try: curl ${endpoints.api}/health`,
    `  OpenAPI         ${endpoints.api}/openapi.json`,
    `  Mailbox (SES)   ${endpoints.mailbox}`,
    `  DynamoDB        ${endpoints.dynamodb}   table ${cloud.tableName}`,
    `  SQS and S3      ${endpoints.sqs}`,
    `  Step Functions  ${endpoints.stepfunctions}   executions and histories kept in .local/stepfunctions`,
    '',
    `  Keys, endpoints ${path.relative(process.cwd(), path.join(stateDir, 'endpoints.json'))}`,
    `  Function logs   ${path.relative(process.cwd(), path.join(stateDir, 'logs'))}/`,
    '',
    `  curl -H "Authorization: Bearer ${endpoints.keys.storefront}" ${endpoints.api}/products/MUG-001`,
    '',
    'Data is kept in .local/ between runs (delete it to start afresh). Press Ctrl-C to stop.',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65_530) {
    throw new LocalCloudError(`PORT must be a port number between 1 and 65530, not "${process.env.PORT}".`);
  }
  const cloud = await startLocalCloud({ root, stateDir, persist: true, port, log: (line) => console.log(`• ${line}`) });
  console.log(summary(cloud, ((Date.now() - started) / 1000).toFixed(1)));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local cloud…`);
    await cloud.stop();
    console.log('Stopped. Data is kept in .local/.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof LocalCloudError) {
    console.error(`\n✖ ${error.message}`);
  } else {
    console.error('\n✖ The local cloud failed to start:', error);
  }
  process.exit(1);
});
