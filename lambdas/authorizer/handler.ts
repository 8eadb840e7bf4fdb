import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { DynamoApiKeyRepository } from '../adapters/api-key-repository.js';
import { type ApiKeyRecord, bearerToken, hashApiKey } from '../domain/api-keys.js';
import { requireEnv } from '../shared/config.js';
import type { AuthorizerContext } from '../shared/http.js';
import { logger } from '../shared/observability.js';
import { TtlCache } from '../shared/ttl-cache.js';

const keys = new DynamoApiKeyRepository(requireEnv('TABLE_NAME'));
// Known keys are cached per container, so a revoked key stops working within this many seconds.
// Unknown keys are not cached: a new key works at once.
const knownKeys = new TtlCache<string, ApiKeyRecord>(Number(process.env.API_KEY_CACHE_SECONDS ?? 0) * 1000);

async function findKey(hash: string): Promise<ApiKeyRecord | undefined> {
  const cached = knownKeys.get(hash);
  if (cached) return cached;
  const key = await keys.findActiveByHash(hash);
  if (key) knownKeys.set(hash, key);
  return key;
}

/**
 * Authenticates every request and always lets it through with what it found: route handlers
 * answer 401/403 themselves, because an HTTP API authorizer's own denial cannot carry
 * Conveyor's error envelope (see docs/architecture.md, "Authentication").
 */
async function authenticate(
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> {
  const secret = bearerToken(event.headers?.authorization);
  if (!secret) return { isAuthorized: true, context: { authenticated: false, reason: 'missing' } };
  const key = await findKey(hashApiKey(secret));
  if (!key) {
    logger.warn('Unknown or revoked API key', { sourceIp: event.requestContext.http.sourceIp });
    return { isAuthorized: true, context: { authenticated: false, reason: 'unknown' } };
  }
  return {
    isAuthorized: true,
    context: { authenticated: true, keyId: key.keyId, scope: key.scope, storefrontId: key.storefrontId ?? '' },
  };
}

export const handler = middy(authenticate).use(injectLambdaContext(logger, { resetKeys: true }));
