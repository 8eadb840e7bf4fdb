import { createHash } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import type { Principal, Scope } from '../domain/auth.js';
import {
  ConveyorError,
  type ErrorCode,
  type ErrorDetail,
  Forbidden,
  InternalError,
  MalformedJson,
  MethodNotAllowed,
  PayloadTooLarge,
  Unauthenticated,
  UnsupportedMediaType,
  ValidationFailed,
} from '../domain/errors.js';
import { logger, metrics } from './observability.js';

/** The one table that turns error codes into HTTP status codes. */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  MALFORMED_JSON: 400,
  MALFORMED_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INSUFFICIENT_STOCK: 409,
  BARCODE_IN_USE: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  NOT_ON_HOLD: 409,
  PICK_INCOMPLETE: 409,
  TASK_NOT_OPEN: 409,
  NOT_REDRIVABLE: 409,
  NOT_CANCELLABLE: 409,
  RETURN_NOT_ALLOWED: 409,
  RETURN_EXCEEDS_DELIVERED: 409,
  INQUIRY_CLOSED: 409,
  EMAIL_FAILED: 502,
  INVALID_BARCODE: 422,
  BARCODE_MISMATCH: 422,
  ALREADY_PICKED: 422,
  UNKNOWN_SKU: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
};

export const MAX_BODY_BYTES = 256 * 1024;

/** What the authorizer (lambdas/authorizer) puts in the request context for every request. */
export type AuthorizerContext = Partial<Principal> & { authenticated?: boolean; reason?: string };
export type HttpEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface ApiRequest<Body, Params, Query> {
  body: Body;
  params: Params;
  query: Query;
  principal: Principal | undefined;
  requestId: string;
  /** The request's method and raw path, as API Gateway received them. */
  method: string;
  path: string;
  /** The body as sent (decoded from base64 if need be), for routes that verify a signature over it. */
  rawBody: string | undefined;
  headers: Record<string, string | undefined>;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  /** A body that is not JSON (a CSV export): sent as it is, with the content-type the headers give. */
  text?: string;
  headers?: Record<string, string>;
}

export interface RouteSpec<Body, Params, Query> {
  /** Scopes allowed to call the route; `public` skips authentication. */
  scopes: readonly Scope[] | 'public';
  body?: z.ZodType<Body>;
  params?: z.ZodType<Params>;
  query?: z.ZodType<Query>;
  /** Required headers, by lower-case name (API Gateway lower-cases them). */
  headers?: z.ZodType;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(error: ConveyorError, requestId: string): HttpResult {
  // RFC 9110: a 405 must list the methods the resource does allow.
  const headers: Record<string, string> = error instanceof MethodNotAllowed ? { allow: error.allowed.join(', ') } : {};
  return json(
    STATUS_BY_CODE[error.code],
    { error: { code: error.code, message: error.message, details: error.details, requestId } },
    headers,
  );
}

function zodDetails(issues: readonly z.core.$ZodIssue[], prefix: string): ErrorDetail[] {
  return issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

function validate<T>(schema: z.ZodType<T> | undefined, input: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationFailed(`The request ${where} is not valid; see details for each field.`, {
    details: zodDetails(result.error.issues, where),
  });
}

export function readBody(event: Pick<HttpEvent, 'body' | 'isBase64Encoded' | 'headers'>): unknown {
  if (event.body === undefined || event.body === '') {
    throw new MalformedJson('This route needs a JSON body.');
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new PayloadTooLarge(`The request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);
  }
  const contentType = event.headers['content-type'] ?? '';
  if (contentType && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new UnsupportedMediaType(`Send the body as application/json, not ${contentType}.`);
  }
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw new MalformedJson(`The request body is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

export function authenticate(event: HttpEvent, scopes: readonly Scope[]): Principal {
  const context = event.requestContext.authorizer?.lambda;
  if (!context?.authenticated || !context.keyId || !context.scope) {
    throw new Unauthenticated(
      context?.reason === 'missing'
        ? 'Send an API key as "Authorization: Bearer <key>".'
        : 'The API key is unknown or revoked; create one with `npm run keys -- create`.',
    );
  }
  if (!scopes.includes(context.scope)) {
    throw new Forbidden(`This route needs one of the scopes ${scopes.join(', ')}; the key has ${context.scope}.`);
  }
  return { keyId: context.keyId, scope: context.scope, storefrontId: context.storefrontId || undefined };
}

/**
 * Builds a route handler: authenticates, parses and validates the request with zod,
 * calls the business logic and shapes every failure into the error envelope.
 */
export function apiHandler<Body = undefined, Params = undefined, Query = undefined>(
  spec: RouteSpec<Body, Params, Query>,
  logic: (request: ApiRequest<Body, Params, Query>) => Promise<ApiResponse>,
) {
  const handle = async (event: HttpEvent, _context: Context): Promise<HttpResult> => {
    const principal = spec.scopes === 'public' ? undefined : authenticate(event, spec.scopes);
    // Params and query are validated before the body so a bad path never costs a body parse.
    const params = validate(spec.params, event.pathParameters ?? {}, 'path');
    const query = validate(spec.query, event.queryStringParameters ?? {}, 'query');
    validate(spec.headers, event.headers ?? {}, 'header');
    const body = spec.body ? validate(spec.body, readBody(event), 'body') : (undefined as Body);
    const response = await logic({
      body,
      params,
      query,
      principal,
      requestId: event.requestContext.requestId,
      method: event.requestContext.http.method,
      path: event.rawPath,
      rawBody:
        event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
      headers: event.headers,
    });
    if (response.text !== undefined) return { statusCode: response.status, headers: response.headers, body: response.text };
    if (response.body === undefined) return { statusCode: response.status, headers: response.headers };
    return json(response.status, response.body, response.headers);
  };

  return middy(handle)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use({
      onError: async (request) => {
        const requestId = request.event.requestContext?.requestId ?? 'unknown';
        if (request.error instanceof ConveyorError) {
          request.response = errorResponse(request.error, requestId);
          return;
        }
        logger.error('Unhandled error', { error: request.error as Error });
        request.response = errorResponse(
          new InternalError('Something went wrong on our side; retry later and quote the requestId if it persists.'),
          requestId,
        );
      },
    });
}

/** JSON with object keys sorted, so two bodies that mean the same serialize the same. */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : value && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
          .join(',')}}`
      : JSON.stringify(value);

/** The digest an Idempotency-Key is bound to: a repeat with the same key must carry the same request (key order aside). */
export const requestHash = (body: unknown): string => createHash('sha256').update(canonical(body)).digest('hex');
