import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource, resourcesOfType } from './template.js';

/** One version of a secret: its id, value and staging labels (AWSCURRENT, AWSPREVIOUS, …). */
interface SecretVersion {
  versionId: string;
  value: string;
  stages: string[];
  created: number;
}

interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  versions: SecretVersion[];
}

interface GenerateSecretString {
  PasswordLength?: number;
  ExcludeCharacters?: string;
  ExcludeLowercase?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeNumbers?: boolean;
  ExcludePunctuation?: boolean;
  IncludeSpace?: boolean;
  SecretStringTemplate?: string;
  GenerateStringKey?: string;
}

/** Letters and digits, as AWS's random name and ARN suffixes are. */
const alphanumeric = (length: number) => randomPassword({ PasswordLength: length, ExcludePunctuation: true });

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** A random password as Secrets Manager's GetRandomPassword makes one (the default is 32 characters of every kind). */
export function randomPassword(spec: GenerateSecretString = {}): string {
  let alphabet = [
    spec.ExcludeLowercase ? '' : 'abcdefghijklmnopqrstuvwxyz',
    spec.ExcludeUppercase ? '' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    spec.ExcludeNumbers ? '' : '0123456789',
    spec.ExcludePunctuation ? '' : PUNCTUATION,
    spec.IncludeSpace ? ' ' : '',
  ].join('');
  alphabet = [...alphabet].filter((character) => !(spec.ExcludeCharacters ?? '').includes(character)).join('');
  if (!alphabet) throw new Error('GenerateSecretString excludes every character.');
  return Array.from({ length: spec.PasswordLength ?? 32 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** A generated value, inside SecretStringTemplate under GenerateStringKey when the template asks for JSON. */
function generated(spec: GenerateSecretString): string {
  const password = randomPassword(spec);
  if (!spec.SecretStringTemplate || !spec.GenerateStringKey) return password;
  return JSON.stringify({ ...JSON.parse(spec.SecretStringTemplate), [spec.GenerateStringKey]: password });
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * A Secrets Manager stand-in for the local cloud, speaking the AWS JSON 1.1 protocol (`X-Amz-Target:
 * secretsmanager.<Action>`), so that Powertools Parameters and `@aws-sdk/client-secrets-manager` work unchanged.
 * It serves the template's AWS::SecretsManager::Secret resources by ARN (what `Ref` resolves to, as in AWS) and by
 * name. Values: a `GenerateSecretString` secret gets a random value at its first start and keeps it (in
 * `<stateDir>/secrets.json`, so `npm start` keeps the carrier webhook secret across restarts); a `SecretString`
 * one starts with that text. PutSecretValue rotates as Secrets Manager does: the new version becomes AWSCURRENT,
 * the old current one AWSPREVIOUS, and the one before loses its label. Actions: GetSecretValue, DescribeSecret,
 * PutSecretValue, ListSecrets. No permissions, no KMS, no rotation Lambdas.
 */
export class LocalSecrets {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly file: string;
  private server: Server | undefined;
  /** Called after every PutSecretValue (the local cloud rewrites endpoints.json's carrierSecret). */
  onPut: (arn: string) => void = () => undefined;

  constructor(template: CfnTemplate, stateDir: string) {
    this.file = path.join(stateDir, 'secrets.json');
    const kept = this.load();
    for (const [logicalId, resource] of resourcesOfType(template, 'AWS::SecretsManager::Secret')) {
      const props = resource.Properties ?? {};
      const previous = kept[logicalId];
      if (previous) {
        this.secrets.set(logicalId, previous);
        continue;
      }
      // AWS names an unnamed secret after its logical id, and appends six random characters to every ARN.
      const name = typeof props.Name === 'string' ? props.Name : `${logicalId.replace(/[0-9A-F]{8}$/, '')}-${alphanumeric(12)}`;
      const arn = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${name}-${alphanumeric(6)}`;
      let value: string;
      if (typeof props.SecretString === 'string') value = props.SecretString;
      else if (props.SecretString === undefined) value = generated((props.GenerateSecretString ?? {}) as GenerateSecretString);
      else throw new Error(`The local cloud cannot compute ${logicalId}'s SecretString (${JSON.stringify(props.SecretString)}).`);
      this.secrets.set(logicalId, {
        name,
        arn,
        description: typeof props.Description === 'string' ? props.Description : undefined,
        versions: [{ versionId: randomUUID(), value, stages: ['AWSCURRENT'], created: Date.now() }],
      });
    }
    this.save();
  }

  /** `Ref` of a secret is its ARN, as in AWS; `Fn::GetAtt Id` too. */
  identities(): Map<string, LocalResource> {
    return new Map([...this.secrets].map(([logicalId, secret]) => [logicalId, { ref: secret.arn, attributes: { Id: secret.arn } }]));
  }

  /** A secret's AWSCURRENT value, by ARN or name; undefined when there is no such secret. */
  currentValue(secretId: string): string | undefined {
    return this.version(this.find(secretId), undefined, 'AWSCURRENT')?.value;
  }

  private load(): Record<string, StoredSecret> {
    if (!existsSync(this.file)) return {};
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, StoredSecret>;
    } catch {
      return {};
    }
  }

  private save(): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(Object.fromEntries(this.secrets), null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }

  private find(secretId: string): StoredSecret | undefined {
    for (const secret of this.secrets.values()) if (secret.arn === secretId || secret.name === secretId) return secret;
    // A partial ARN (without the six random characters) names the secret too.
    for (const secret of this.secrets.values()) if (secret.arn.startsWith(`${secretId}-`)) return secret;
    return undefined;
  }

  private version(secret: StoredSecret | undefined, versionId?: string, stage?: string): SecretVersion | undefined {
    if (!secret) return undefined;
    return secret.versions.find(
      (version) => (versionId === undefined || version.versionId === versionId) && (stage === undefined || version.stages.includes(stage)),
    );
  }

  private secret(secretId: unknown): StoredSecret {
    if (typeof secretId !== 'string' || !secretId) throw new ApiError('InvalidParameterException', 'You must provide a SecretId.');
    const secret = this.find(secretId);
    if (!secret) throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  private readonly actions: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetSecretValue: (input) => {
      const secret = this.secret(input.SecretId);
      const versionId = input.VersionId as string | undefined;
      const stage = (input.VersionStage as string | undefined) ?? (versionId ? undefined : 'AWSCURRENT');
      const version = this.version(secret, versionId, stage);
      if (!version)
        throw new ApiError(
          'ResourceNotFoundException',
          stage
            ? `Secrets Manager can't find the specified secret value for staging label: ${stage}`
            : `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        SecretString: version.value,
        VersionStages: version.stages,
        CreatedDate: version.created / 1000,
      };
    },
    DescribeSecret: (input) => {
      const secret = this.secret(input.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        Description: secret.description,
        RotationEnabled: false,
        VersionIdsToStages: Object.fromEntries(secret.versions.map((version) => [version.versionId, version.stages])),
        CreatedDate: (secret.versions.at(-1)?.created ?? Date.now()) / 1000,
      };
    },
    ListSecrets: () => ({
      SecretList: [...this.secrets.values()].map((secret) => ({ ARN: secret.arn, Name: secret.name, Description: secret.description })),
    }),
    PutSecretValue: (input) => {
      const secret = this.secret(input.SecretId);
      if (typeof input.SecretString !== 'string')
        throw new ApiError('InvalidParameterException', 'The local cloud takes SecretString only (no SecretBinary).');
      const versionId = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
      const existing = this.version(secret, versionId);
      if (existing) {
        // An idempotent retry of the same put; another value under the same token is refused, as in AWS.
        if (existing.value !== input.SecretString)
          throw new ApiError(
            'ResourceExistsException',
            `A version with ClientRequestToken ${versionId} already exists with another value.`,
          );
        return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: existing.stages };
      }
      const stages = Array.isArray(input.VersionStages) ? (input.VersionStages as string[]) : ['AWSCURRENT'];
      if (stages.includes('AWSCURRENT')) {
        for (const version of secret.versions) {
          version.stages = version.stages.filter((stage) => stage !== 'AWSPREVIOUS');
          if (version.stages.includes('AWSCURRENT'))
            version.stages = [...version.stages.filter((stage) => stage !== 'AWSCURRENT'), 'AWSPREVIOUS'];
        }
      }
      for (const version of secret.versions)
        version.stages = version.stages.filter((stage) => stage === 'AWSCURRENT' || stage === 'AWSPREVIOUS' || !stages.includes(stage));
      secret.versions = [
        { versionId, value: input.SecretString, stages, created: Date.now() },
        ...secret.versions.filter((version) => version.stages.length > 0),
      ];
      this.save();
      this.onPut(secret.arn);
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: stages };
    },
  };

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown, errorType?: string) => {
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      response.end(JSON.stringify(body));
    };
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const target = String(request.headers['x-amz-target'] ?? '');
      const [prefix, action] = target.split('.');
      const run = prefix === 'secretsmanager' && action ? this.actions[action] : undefined;
      if (!run)
        throw new ApiError(
          'UnknownOperationException',
          `The local Secrets Manager does not do ${target || 'requests without X-Amz-Target'}.`,
        );
      const text = Buffer.concat(chunks).toString('utf8');
      reply(200, run(text ? (JSON.parse(text) as Record<string, unknown>) : {}));
    } catch (error) {
      if (error instanceof ApiError) reply(error.status, { __type: error.type, message: error.message }, error.type);
      else reply(500, { __type: 'InternalServiceError', message: (error as Error).message }, 'InternalServiceError');
    }
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address();
    return `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
