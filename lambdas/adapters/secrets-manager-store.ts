import { GetParameterError } from '@aws-lambda-powertools/parameters/errors';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { MisconfiguredFunction } from '../domain/errors.js';
import { type SecretStore, UNSET_SECRET_VALUE } from '../domain/secrets.js';

/** How long a secret's value is kept in the container before Secrets Manager is asked again: a rotation takes effect within it. */
export const SECRET_MAX_AGE_SECONDS = 300;

export interface SecretsManagerStoreOptions {
  /** Cache lifetime in seconds; POWERTOOLS_PARAMETERS_MAX_AGE overrides the default (the local cloud's tests shorten it). */
  maxAgeSeconds?: number;
  /** Reads AWSCURRENT; a provider of its own per stage, since Powertools caches by name only, not by version stage. */
  current?: SecretsProvider;
  /** Reads AWSPREVIOUS. */
  previous?: SecretsProvider;
  now?: () => number;
}

const NOT_FOUND = new Set(['ResourceNotFoundException']);
const NOT_ALLOWED = new Set(['AccessDeniedException', 'AccessDenied', 'DecryptionFailure']);

function awsErrorName(error: unknown): string | undefined {
  const cause = error instanceof GetParameterError ? error.cause : error;
  return (cause as { name?: string } | undefined)?.name;
}

/** The maximum age from POWERTOOLS_PARAMETERS_MAX_AGE, or the default when it is unset or not a number. */
export function maxAgeFromEnvironment(fallback = SECRET_MAX_AGE_SECONDS): number {
  const setting = Number(process.env.POWERTOOLS_PARAMETERS_MAX_AGE);
  return process.env.POWERTOOLS_PARAMETERS_MAX_AGE && Number.isFinite(setting) && setting >= 0 ? setting : fallback;
}

/**
 * The SecretStore on AWS Secrets Manager, read through Powertools Parameters with a cache (5 minutes by default).
 * Secrets are named by ARN (what the stack puts in a function's environment). `accepted` adds the AWSPREVIOUS
 * version when there is one, which is what lets a webhook secret rotate without refusing a carrier that still signs
 * with the old value; a secret that was never rotated has no previous version, and that is no error.
 */
export class SecretsManagerStore implements SecretStore {
  private readonly maxAge: number;
  private readonly current: SecretsProvider;
  private readonly previous: SecretsProvider;
  private readonly now: () => number;
  /** Secrets found to have no previous version, until when: Powertools caches values, not their absence. */
  private readonly noPrevious = new Map<string, number>();
  /** The current value the cached previous one was read with: a changed current means a rotation, so read previous again. */
  private readonly previousReadWith = new Map<string, string>();

  constructor(options: SecretsManagerStoreOptions = {}) {
    this.maxAge = options.maxAgeSeconds ?? maxAgeFromEnvironment();
    this.current = options.current ?? new SecretsProvider();
    this.previous = options.previous ?? new SecretsProvider();
    this.now = options.now ?? Date.now;
  }

  async get(name: string): Promise<string> {
    let value: unknown;
    try {
      value = await this.current.get(name, { maxAge: this.maxAge });
    } catch (error) {
      throw this.explain(error, name);
    }
    if (typeof value !== 'string' || value === '')
      throw new MisconfiguredFunction(`Secret ${name} has no text value; put one with aws secretsmanager put-secret-value.`);
    if (value === UNSET_SECRET_VALUE)
      throw new MisconfiguredFunction(
        `Secret ${name} has not been filled in: aws secretsmanager put-secret-value --secret-id ${name} --secret-string <value> (README, "Deploying to AWS").`,
      );
    return value;
  }

  async accepted(name: string): Promise<string[]> {
    const current = await this.get(name);
    const previous = await this.previousValue(name, current);
    return previous === undefined || previous === current ? [current] : [current, previous];
  }

  private async previousValue(name: string, current: string): Promise<string | undefined> {
    const rotated = this.previousReadWith.has(name) && this.previousReadWith.get(name) !== current;
    const absentUntil = this.noPrevious.get(name);
    if (!rotated && absentUntil !== undefined && absentUntil > this.now()) return undefined;
    this.noPrevious.delete(name);
    this.previousReadWith.set(name, current);
    try {
      const value = await this.previous.get(name, {
        maxAge: this.maxAge,
        forceFetch: rotated,
        sdkOptions: { VersionStage: 'AWSPREVIOUS' },
      });
      return typeof value === 'string' && value !== '' ? value : undefined;
    } catch (error) {
      if (!NOT_FOUND.has(awsErrorName(error) ?? '')) throw this.explain(error, name);
      this.noPrevious.set(name, this.now() + this.maxAge * 1000);
      return undefined;
    }
  }

  private explain(error: unknown, name: string): Error {
    const code = awsErrorName(error) ?? '';
    if (NOT_FOUND.has(code))
      return new MisconfiguredFunction(`Secret ${name} does not exist; the stack creates it and names it in the environment.`, {
        cause: error,
      });
    if (NOT_ALLOWED.has(code))
      return new MisconfiguredFunction(`This function may not read secret ${name} (${code}); its construct grants the read.`, {
        cause: error,
      });
    return error as Error;
  }
}
