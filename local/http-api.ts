import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LambdaRuntime, LocalFunction } from './lambda-runtime.js';
import { type CfnTemplate, type IntrinsicResolver, LOCAL_ACCOUNT, type LocalResource, resourcesOfType } from './template.js';

/** API Gateway's own limit on an HTTP API request body. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
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
    for (const side of this.sideHandlers) if (await side(request, response)) return;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const found = this.match(request.method ?? 'GET', url.pathname);
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
    const server = createServer((request, response) => {
      if (this.draining) return refuseWhileStopping(response);
      this.active++;
      response.once('close', () => this.active--);
      this.handle(request, response).catch((error: Error) => {
        if (!response.headersSent) send(response, 500, JSON.stringify({ message: 'Internal Server Error', detail: error.message }));
        else response.destroy(error);
      });
    });
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
