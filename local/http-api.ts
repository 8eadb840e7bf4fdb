import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ConveyorError, HeadersTooLarge, MalformedRequest } from '../lambdas/domain/errors.js';
import { errorResponse } from '../lambdas/shared/http.js';
import type { LambdaRuntime, LocalFunction } from './lambda-runtime.js';
import { type CfnTemplate, type IntrinsicResolver, LOCAL_ACCOUNT, type LocalResource, resourcesOfType } from './template.js';

/** API Gateway's own limit on an HTTP API request body. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/**
 * The local limit on the request line and headers: Node's default, kept as it always was (API Gateway's own is
 * 10 KB, answered in its format). Checked in the handler, where the method is known (a HEAD answer has no body);
 * Node's parser is given room above it, so only a far larger request reaches `answerClientError`.
 */
const MAX_HEADER_BYTES = 16 * 1024;
const PARSER_MAX_HEADER_BYTES = 64 * 1024;
const INTEGRATION_TIMEOUT_MS = 30_000;
const TEXT_CONTENT = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+(json|xml))/i;

interface LocalRoute {
  method: string;
  path: string;
  routeKey: string;
  matcher: RegExp;
  paramNames: string[];
  /** Literal characters in the path: more literal routes win, as API Gateway prefers the most specific. */
  specificity: number;
  integration: LocalFunction;
  authorizer?: LocalFunction;
}

/** Extra handlers mounted in front of the API (the console, the mailbox); return true when handled. */
export type SideHandler = (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;

function compileRoute(routeKey: string): Pick<LocalRoute, 'method' | 'path' | 'matcher' | 'paramNames' | 'specificity'> {
  if (routeKey === '$default') return { method: 'ANY', path: '$default', matcher: /^.*$/, paramNames: [], specificity: -1 };
  const [method = 'ANY', routePath = '/'] = routeKey.split(' ');
  const paramNames: string[] = [];
  const pattern = routePath
    .split('/')
    .map((segment) => {
      const greedy = /^\{(\w+)\+\}$/.exec(segment);
      if (greedy) {
        paramNames.push(greedy[1] as string);
        return '(.+)';
      }
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param) {
        paramNames.push(param[1] as string);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return {
    method,
    path: routePath,
    matcher: new RegExp(`^${pattern}$`),
    paramNames,
    specificity: routePath.replace(/\{[^}]+\}/g, '').length,
  };
}

/** API Gateway resources are known locally by their logical ids (routes name integrations and authorizers by Ref). */
export function apiGatewayIdentities(template: CfnTemplate): Map<string, LocalResource> {
  const identities = new Map<string, LocalResource>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type.startsWith('AWS::ApiGatewayV2::'))
      identities.set(logicalId, { ref: logicalId, attributes: { ApiEndpoint: 'local' } });
  }
  return identities;
}

/** Reads the template's HTTP API routes, integrations and authorizers and binds them to local functions. */
export function routesFromTemplate(template: CfnTemplate, resolver: IntrinsicResolver, lambdas: LambdaRuntime): LocalRoute[] {
  const functionOf = (uri: unknown): LocalFunction => {
    const arn = resolver.resolveString(uri);
    // Authorizer URIs wrap the function ARN: arn:aws:apigateway:…:lambda:path/2015-03-31/functions/<arn>/invocations
    const functionArn = /functions\/(arn:[^/]+)\/invocations$/.exec(arn)?.[1] ?? arn;
    return lambdas.get(functionArn);
  };
  const routes: LocalRoute[] = [];
  for (const [, route] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    const props = route.Properties ?? {};
    const target = resolver.resolveString(props.Target);
    const integrationId = target.replace(/^integrations\//, '');
    const integration = template.Resources[integrationId]?.Properties;
    if (!integration) throw new Error(`Route ${String(props.RouteKey)} targets unknown integration ${integrationId}`);
    const authorizerId = props.AuthorizerId ? resolver.resolveString(props.AuthorizerId) : undefined;
    const authorizer = authorizerId ? template.Resources[authorizerId]?.Properties : undefined;
    routes.push({
      ...compileRoute(String(props.RouteKey)),
      routeKey: String(props.RouteKey),
      integration: functionOf(integration.IntegrationUri),
      authorizer: authorizer ? functionOf(authorizer.AuthorizerUri) : undefined,
    });
  }
  return routes.sort((a, b) => b.specificity - a.specificity);
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body);
}

const gatewayError = (response: ServerResponse, status: number, message: string, requestId: string) =>
  send(response, status, JSON.stringify({ message }), { 'apigw-requestid': requestId });

/** What the local cloud refuses before any function runs, in Conveyor's error envelope (API.md, §Ops). */
function envelopeError(response: ServerResponse, error: ConveyorError, requestId: string): void {
  const result = errorResponse(error, requestId);
  send(response, result.statusCode ?? 500, String(result.body), { 'apigw-requestid': requestId });
}

const headersTooLarge = (options?: ErrorOptions) =>
  new HeadersTooLarge(
    `The request line and headers are larger than ${MAX_HEADER_BYTES / 1024} KB; send fewer or shorter headers.`,
    options,
  );

/** The size of the request line and headers as sent: each name is followed by ": ", each value by CRLF. */
const headerBytes = (request: IncomingMessage) =>
  request.rawHeaders.reduce(
    (sum, part) => sum + Buffer.byteLength(part, 'latin1') + 2,
    `${request.method} ${request.url} HTTP/${request.httpVersion}\r\n`.length,
  );

/**
 * Node's HTTP parser refuses some requests before there is a request object (headers over its limit, a garbled
 * request line); its default answer is an empty 431/400. This writes the envelope on the socket.
 */
function answerClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void {
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? headersTooLarge({ cause: error })
      : error.code?.startsWith('HPE_')
        ? new MalformedRequest('The request line or headers are not valid HTTP/1.1.', { cause: error })
        : undefined;
  // A reset or a request that timed out while sending its headers is not bad input to answer: close the connection
  // (Node's default would write a bare 408 for the timeout, without the envelope).
  if (!refusal || !socket.writable) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const result = errorResponse(refusal, requestId);
  // The answer to a HEAD request has no body (its client would read the body as the next response).
  const isHead = error.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  const body = isHead ? Buffer.alloc(0) : Buffer.from(String(result.body));
  const status = result.statusCode ?? 400;
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'content-type: application/json',
      `content-length: ${body.length}`,
      `apigw-requestid: ${requestId}`,
      'connection: close',
      '',
      '',
    ].join('\r\n') + body.toString(),
  );
}

/**
 * The request target as a URL. Origin-form targets are read as sent, so `//a/b` stays a path (the URL
 * parser would take `a` for a host); anything else (absolute-form, `*`) goes through the URL parser.
 */
function targetUrl(target: string): URL | undefined {
  try {
    return target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target, 'http://localhost');
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}

/** API Gateway decodes path parameters; a path whose percent-encoding does not decode is bad input. */
function decodesCleanly(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch (error) {
    if (error instanceof URIError) return false;
    throw error;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Builds the payload format 2.0 event API Gateway sends to integrations and (without body) to authorizers. */
function buildEvent(
  request: IncomingMessage,
  url: URL,
  route: LocalRoute,
  params: Record<string, string>,
  body: Buffer,
  requestId: string,
) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'cookie') headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const cookies = request.headers.cookie?.split(/;\s*/).filter(Boolean);
  const now = new Date();
  const isText = TEXT_CONTENT.test(headers['content-type'] ?? 'application/json');
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    ...(route.paramNames.length ? { pathParameters: params } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0],
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length
      ? { body: isText ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !isText }
      : { isBase64Encoded: false }),
  };
}

/** Maps a payload 2.0 result back to HTTP the way API Gateway does, including its inferred format. */
function writeResult(response: ServerResponse, payload: unknown, requestId: string): void {
  const result = payload as {
    statusCode?: number;
    headers?: Record<string, unknown>;
    cookies?: string[];
    body?: unknown;
    isBase64Encoded?: boolean;
  } | null;
  if (result === null || typeof result !== 'object' || result.statusCode === undefined) {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    send(response, 200, body, { 'apigw-requestid': requestId });
    return;
  }
  const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? '' : String(result.body);
  response.writeHead(result.statusCode, headers);
  response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

/** While the local cloud stops: Conveyor's error envelope, and the connection is not kept. */
function refuseWhileStopping(response: ServerResponse): void {
  const requestId = randomUUID();
  const message = 'The local cloud is shutting down; retry once npm start has brought it back.';
  send(response, 503, JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message, details: [], requestId } }), {
    'apigw-requestid': requestId,
    'retry-after': '10',
    connection: 'close',
  });
}

/** The local API Gateway HTTP API. */
export class LocalHttpApi {
  private server: Server | undefined;
  private draining = false;
  private active = 0;

  constructor(
    private readonly routes: LocalRoute[],
    private readonly sideHandlers: SideHandler[] = [],
  ) {}

  private match(method: string, pathname: string): { route: LocalRoute; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== 'ANY' && route.method !== method) continue;
      const found = route.matcher.exec(pathname);
      if (!found) continue;
      const params = Object.fromEntries(route.paramNames.map((name, i) => [name, decodeURIComponent(found[i + 1] as string)]));
      return { route, params };
    }
    return undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    if (headerBytes(request) > MAX_HEADER_BYTES) return envelopeError(response, headersTooLarge(), requestId);
    for (const side of this.sideHandlers) if (await side(request, response)) return;
    const url = targetUrl(request.url ?? '/');
    if (!url || !decodesCleanly(url.pathname)) {
      const refusal = url
        ? new MalformedRequest('The request path is not valid: its percent-encoding does not decode.', {
            details: [{ path: 'path', message: 'malformed percent-encoding' }],
          })
        : new MalformedRequest('The request target is not a path.', { details: [{ path: 'path', message: 'not a path' }] });
      return envelopeError(response, refusal, requestId);
    }
    const found = this.match(request.method ?? 'GET', url.pathname);
    // Without a $default route in the template API Gateway answers unmatched requests itself.
    if (!found) return gatewayError(response, 404, 'Not Found', requestId);
    const body = await readBody(request);
    if (body === 'too-large') return gatewayError(response, 413, 'Request Entity Too Large', requestId);
    const event = buildEvent(request, url, found.route, found.params, body, requestId);

    if (found.route.authorizer) {
      const { body: _body, isBase64Encoded: _b64, ...requestData } = event as typeof event & { body?: string };
      const decision = await found.route.authorizer.invoke({
        ...requestData,
        type: 'REQUEST',
        identitySource: [],
        routeArn: `arn:aws:execute-api:local:${LOCAL_ACCOUNT}:local/$default/${found.route.routeKey.replace(' ', '')}`,
      });
      if (!decision.ok) return gatewayError(response, 500, 'Internal Server Error', requestId);
      const verdict = decision.payload as { isAuthorized?: boolean; context?: Record<string, unknown> };
      if (verdict?.isAuthorized !== true) return gatewayError(response, 403, 'Forbidden', requestId);
      (event.requestContext as Record<string, unknown>).authorizer = { lambda: verdict.context ?? {} };
    }

    const result = await Promise.race([
      found.route.integration.invoke(event),
      new Promise<'timeout'>((resolve) => setTimeout(resolve, INTEGRATION_TIMEOUT_MS, 'timeout').unref()),
    ]);
    if (result === 'timeout') return gatewayError(response, 503, 'Service Unavailable', requestId);
    if (!result.ok) return gatewayError(response, 500, 'Internal Server Error', requestId);
    writeResult(response, result.payload, requestId);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<void> {
    const server = createServer({ maxHeaderSize: PARSER_MAX_HEADER_BYTES }, (request, response) => {
      if (this.draining) return refuseWhileStopping(response);
      this.active++;
      response.once('close', () => this.active--);
      this.handle(request, response).catch((error: Error) => {
        if (!response.headersSent) send(response, 500, JSON.stringify({ message: 'Internal Server Error', detail: error.message }));
        else response.destroy(error);
      });
    });
    server.on('clientError', answerClientError);
    server.keepAliveTimeout = 30_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  }

  /** Requests being handled (not yet answered). */
  get inFlight(): number {
    return this.active;
  }

  /** From now on new requests get 503; those being handled go on (see inFlight). */
  drain(): void {
    this.draining = true;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
