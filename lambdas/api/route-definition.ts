import type { z } from 'zod';
import type { Scope } from '../domain/auth.js';

/** One route of the HTTP API, as lambdas/api/routes.ts lists them all. */
export interface RouteDefinition<Body = unknown, Params = unknown, Query = unknown> {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  /** Folder under lambdas/ holding the route's handler.ts; also the function's construct id. */
  handler: string;
  scopes: readonly Scope[] | 'public';
  /** What the function may do with the table, granted least-privilege by lib/api.ts. */
  tableAccess: 'none' | 'read' | 'write';
  /** What the function does with the order workflow: start executions, read them, list them, or answer task tokens. */
  workflow?: 'start' | 'read' | 'list' | 'answer' | 'redrive';
  /**
   * A queue the function sends to: lib/api.ts sets its URL (CARRIER_EVENTS_QUEUE_URL, RETURN_EVENTS_QUEUE_URL)
   * and grants SendMessage on it alone.
   */
  sendsTo?: 'carrierEvents' | 'returnEvents';
  /**
   * The function watches the stack's queues (lib/api.ts sets every queue's URL and grants GetQueueAttributes on them)
   * or also redrives their DLQs (receive and delete on the DLQs, send on their queues).
   */
  queues?: 'read' | 'redrive';
  /** The function reads the finance ledger (lib/api.ts sets LEDGER_BUCKET and grants reads under ledger/ only). */
  readsLedger?: true;
  /** The function emails customers (lib/api.ts sets SENDER_EMAIL and grants ses:SendEmail on the sender identity). */
  sendsEmail?: true;
  /** The function says which payment gateway the stack runs (lib/api.ts sets PAYMENT_GATEWAY; no grant). */
  reportsPaymentGateway?: true;
  summary: string;
  /** What the OpenAPI document says beyond the summary (defaults, limits). */
  description?: string;
  body?: z.ZodType<Body>;
  params?: z.ZodType<Params>;
  query?: z.ZodType<Query>;
  headers?: z.ZodType;
  /** A body documented in OpenAPI but validated by the handler itself (after a signature check). */
  requestBodyDoc?: z.ZodType;
  success: { status: number; description: string; schema?: z.ZodType };
  /** Error statuses the route can answer besides the ones every authenticated route has. */
  errors: readonly number[];
}

export const defineRoute = <Body, Params, Query>(route: RouteDefinition<Body, Params, Query>) => route;
