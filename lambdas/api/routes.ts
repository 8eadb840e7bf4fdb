import type { z } from 'zod';
import type { Scope } from '../domain/auth.js';
import { AdjustmentBody, Product, PutProductBody, SkuParams, StockLevel } from '../domain/catalog.js';
import { Health } from './schemas.js';

/**
 * The HTTP API's routes, in one place: lib/api.ts builds the infrastructure from this list,
 * each handler takes its validation and scopes from its entry, and the OpenAPI document is generated from it.
 */
export interface RouteDefinition<Body = unknown, Params = unknown, Query = unknown> {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  /** Folder under lambdas/ holding the route's handler.ts; also the function's construct id. */
  handler: string;
  scopes: readonly Scope[] | 'public';
  /** What the function may do with the table, granted least-privilege by lib/api.ts. */
  tableAccess: 'none' | 'read' | 'write';
  summary: string;
  body?: z.ZodType<Body>;
  params?: z.ZodType<Params>;
  query?: z.ZodType<Query>;
  success: { status: number; description: string; schema?: z.ZodType };
  /** Error statuses the route can answer besides the ones every authenticated route has. */
  errors: readonly number[];
}

const defineRoute = <Body, Params, Query>(route: RouteDefinition<Body, Params, Query>) => route;

export const routes = {
  health: defineRoute({
    method: 'GET',
    path: '/health',
    handler: 'health',
    scopes: 'public',
    tableAccess: 'none',
    summary: 'Liveness check',
    success: { status: 200, description: 'The API is up.', schema: Health },
    errors: [],
  }),
  openApi: defineRoute({
    method: 'GET',
    path: '/openapi.json',
    handler: 'openapi',
    scopes: 'public',
    tableAccess: 'none',
    summary: 'This OpenAPI 3.1 document',
    success: { status: 200, description: 'The OpenAPI document.' },
    errors: [],
  }),
  putProduct: defineRoute({
    method: 'PUT',
    path: '/products/{sku}',
    handler: 'put-product',
    scopes: ['ops'],
    tableAccess: 'write',
    summary: 'Create or replace a product (stock is kept)',
    params: SkuParams,
    body: PutProductBody,
    success: { status: 200, description: 'The product as stored.', schema: Product },
    errors: [400, 413, 415, 422],
  }),
  getProduct: defineRoute({
    method: 'GET',
    path: '/products/{sku}',
    handler: 'get-product',
    scopes: ['storefront', 'ops'],
    tableAccess: 'read',
    summary: 'Read a product with its available stock',
    params: SkuParams,
    success: { status: 200, description: 'The product.', schema: Product },
    errors: [404, 422],
  }),
  adjustInventory: defineRoute({
    method: 'POST',
    path: '/inventory/{sku}/adjustments',
    handler: 'adjust-inventory',
    scopes: ['ops'],
    tableAccess: 'write',
    summary: 'Adjust on-hand stock by a delta, with a reason',
    params: SkuParams,
    body: AdjustmentBody,
    success: { status: 200, description: 'The stock level after the adjustment.', schema: StockLevel },
    errors: [400, 404, 409, 413, 415, 422],
  }),
  getInventory: defineRoute({
    method: 'GET',
    path: '/inventory/{sku}',
    handler: 'get-inventory',
    scopes: ['ops', 'warehouse'],
    tableAccess: 'read',
    summary: 'Read the stock level of a SKU',
    params: SkuParams,
    success: { status: 200, description: 'The stock level.', schema: StockLevel },
    errors: [404, 422],
  }),
} as const;

export const allRoutes: readonly RouteDefinition[] = Object.values(routes) as RouteDefinition[];
