import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { NotFound } from '../../lambdas/domain/errors.js';
import { apiHandler, type HttpEvent } from '../../lambdas/shared/http.js';

const context = { awsRequestId: 'req-1', functionName: 'test', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

function event(overrides: Partial<HttpEvent> & { authorizer?: Record<string, unknown> } = {}): HttpEvent {
  const { authorizer, ...rest } = overrides;
  return {
    version: '2.0',
    routeKey: 'POST /things/{id}',
    rawPath: '/things/1',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: { id: '1' },
    isBase64Encoded: false,
    requestContext: {
      requestId: 'api-req-1',
      authorizer: { lambda: authorizer ?? { authenticated: true, keyId: 'key_1', scope: 'ops' } },
      http: { method: 'POST', path: '/things/1', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
    },
    ...rest,
  } as unknown as HttpEvent;
}

const handler = apiHandler(
  { scopes: ['ops'], params: z.object({ id: z.string().regex(/^\d+$/) }), body: z.strictObject({ count: z.number().int().positive() }) },
  async ({ params, body, principal }) => {
    if (params.id === '404') throw NotFound.of('Thing 404');
    if (params.id === '500') throw new Error('database on fire');
    return { status: 201, body: { id: params.id, count: body.count, by: principal?.keyId } };
  },
);

const call = async (e: HttpEvent) => {
  const result = await handler(e, context);
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
};

describe('apiHandler', () => {
  it('passes validated input and the principal to the logic', async () => {
    expect(await call(event({ body: '{"count":3}' }))).toEqual({ status: 201, body: { id: '1', count: 3, by: 'key_1' } });
  });

  it('decodes base64 bodies', async () => {
    const result = await call(event({ body: Buffer.from('{"count":2}').toString('base64'), isBase64Encoded: true }));
    expect(result.status).toBe(201);
  });

  it('maps a missing key to 401 before looking at the input', async () => {
    const result = await call(event({ body: 'not json', authorizer: { authenticated: false, reason: 'missing' } }));
    expect(result.status).toBe(401);
    expect(result.body.error.requestId).toBe('api-req-1');
  });

  it('maps a wrong scope to 403', async () => {
    const result = await call(event({ body: '{"count":1}', authorizer: { authenticated: true, keyId: 'k', scope: 'warehouse' } }));
    expect(result.status).toBe(403);
  });

  it('maps malformed JSON to 400 and schema failures to 422 with field paths', async () => {
    expect((await call(event({ body: '{"count":' }))).status).toBe(400);
    const invalid = await call(event({ body: '{"count":-1,"extra":true}' }));
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['body', 'body.count']);
  });

  it('validates path parameters', async () => {
    const result = await call(event({ pathParameters: { id: 'abc' }, body: '{"count":1}' }));
    expect(result.status).toBe(422);
    expect(result.body.error.details[0].path).toBe('path.id');
  });

  it('maps domain errors through the status table', async () => {
    expect((await call(event({ pathParameters: { id: '404' }, body: '{"count":1}' }))).status).toBe(404);
  });

  it('hides unexpected errors behind a generic 500 with the request id', async () => {
    const result = await call(event({ pathParameters: { id: '500' }, body: '{"count":1}' }));
    expect(result.status).toBe(500);
    expect(result.body.error.code).toBe('INTERNAL');
    expect(result.body.error.message).not.toContain('database');
  });

  it('refuses bodies over 256 KiB with 413', async () => {
    const result = await call(event({ body: JSON.stringify({ count: 1, pad: 'x'.repeat(256 * 1024) }) }));
    expect(result.status).toBe(413);
  });
});
