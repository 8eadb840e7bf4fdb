import * as z from 'zod';
import { allRoutes, type RouteDefinition } from './routes.js';
import { ErrorEnvelope } from './schemas.js';

type JsonSchema = Record<string, unknown>;

const REASONS: Record<number, string> = {
  400: 'Malformed JSON.',
  401: 'Missing, unknown or revoked API key.',
  403: 'The key lacks the scope this route needs.',
  404: 'Not found.',
  409: 'Conflict with the current state.',
  413: 'Body larger than 256 KiB.',
  415: 'Body is not application/json.',
  422: 'Valid JSON that fails validation; details name each bad field.',
  500: 'Server fault; quote the requestId.',
  502: 'A service Conveyor depends on (email) failed; nothing was changed, so retry.',
};

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function schemaOf(schema: z.ZodType): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return ref(id);
  // Unregistered schemas are inlined whole: an empty metadata registry keeps zod from emitting local $defs.
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io: 'input', metadata: z.registry<{ id?: string }>() });
  return rest;
}

function parametersOf(route: RouteDefinition): JsonSchema[] {
  const inPath = route.params instanceof z.ZodObject ? Object.entries(route.params.shape) : [];
  const inQuery = route.query instanceof z.ZodObject ? Object.entries(route.query.shape) : [];
  const inHeader = route.headers instanceof z.ZodObject ? Object.entries(route.headers.shape) : [];
  return [
    ...inPath.map(([name, schema]) => ({ name, in: 'path', required: true, schema: schemaOf(schema as z.ZodType) })),
    ...inQuery.map(([name, schema]) => ({
      name,
      in: 'query',
      required: !(schema as z.ZodType).safeParse(undefined).success,
      schema: schemaOf(schema as z.ZodType),
    })),
    ...inHeader.map(([name, schema]) => ({
      name: name.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`),
      in: 'header',
      required: true,
      schema: schemaOf(schema as z.ZodType),
    })),
  ];
}

function operationOf(route: RouteDefinition): JsonSchema {
  const errorStatuses = route.scopes === 'public' ? route.errors : [401, 403, ...route.errors];
  const responses: Record<string, unknown> = {
    [route.success.status]: {
      description: route.success.description,
      content: { 'application/json': { schema: route.success.schema ? schemaOf(route.success.schema) : { type: 'object' } } },
    },
  };
  for (const status of [...errorStatuses, 500]) {
    responses[status] = { description: REASONS[status], content: { 'application/json': { schema: ref('Error') } } };
  }
  return {
    operationId: route.handler,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.scopes === 'public' ? { security: [] } : { 'x-conveyor-scopes': route.scopes }),
    parameters: parametersOf(route),
    ...(route.body || route.requestBodyDoc
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf((route.body ?? route.requestBodyDoc) as z.ZodType) } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
export function buildOpenApiDocument(): JsonSchema {
  void ErrorEnvelope; // registers the Error schema in the global registry
  const components = z.toJSONSchema(z.globalRegistry, { uri: (id) => `#/components/schemas/${id}`, io: 'input' }).schemas;
  const schemas = Object.fromEntries(Object.entries(components).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]));
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of allRoutes) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operationOf(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Conveyor API',
      version: '1.0.0',
      description: 'Order processing for e-commerce: catalog, inventory, orders, fulfillment, shipping, returns and finance.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ apiKey: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Conveyor API key: `Authorization: Bearer cvy_…`' } },
    },
  };
}
