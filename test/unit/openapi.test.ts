import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../lambdas/api/openapi.js';
import { allRoutes, defaultRoute, methodsAt } from '../../lambdas/api/routes.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[]; requestBody?: unknown }>>;
  components: { schemas: Record<string, unknown> };
};

describe('OpenAPI document', () => {
  const doc = buildOpenApiDocument() as Doc;

  it('is OpenAPI 3.1 with an operation for every route', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const route of allRoutes) expect(doc.paths[route.path]?.[route.method.toLowerCase()]).toBeDefined();
  });

  it('resolves every $ref to a component schema', () => {
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref.slice(22, -1));
  });

  it('documents 401 and 403 on authenticated routes and no security on public ones', () => {
    expect(doc.paths['/products/{sku}']?.put?.responses).toHaveProperty('403');
    expect(doc.paths['/health']?.get?.security).toEqual([]);
  });

  it('describes request bodies from the zod schemas', () => {
    expect(doc.components.schemas.PutProductBody).toMatchObject({ required: ['name', 'price', 'barcode', 'weightGrams'] });
  });
});

describe('docs/openapi.json', () => {
  it('matches the routes and schemas (run `npm run docs` after changing them)', async () => {
    const { readFileSync } = await import('node:fs');
    const { OPENAPI_FILE, renderOpenApi } = await import('../../local/docs.js');
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });
});

describe('the $default route', () => {
  it('finds the methods a request path has in the route table, and none for an unknown path', () => {
    expect(methodsAt('/products/MUG-001')).toEqual(['GET', 'PUT']);
    expect(methodsAt('/orders')).toEqual(['GET', 'POST']);
    expect(methodsAt('/openapi.json')).toEqual(['GET']);
    // A literal dot is not "any character", and a parameter is one non-empty segment.
    expect(methodsAt('/openapiXjson')).toEqual([]);
    expect(methodsAt('/products/')).toEqual([]);
    expect(methodsAt('/products/a/b')).toEqual([]);
  });

  it('is not an operation of the OpenAPI document', () => {
    expect(allRoutes.map((route) => route.handler)).not.toContain(defaultRoute.handler);
  });
});
