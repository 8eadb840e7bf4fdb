import { randomInt } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { gtinCheckDigit } from '../../lambdas/domain/gtin.js';

export const cloud = inject('cloud');

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small HTTP client for the local API: real HTTP, JSON by default. */
export async function api<T = Record<string, unknown>>(
  method: string,
  route: string,
  options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${cloud.api}${route}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

export const documentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: cloud.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
);

let counter = 0;
/** A SKU no other test uses, so tests can run in parallel against one cloud. */
export function uniqueSku(prefix = 'T'): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/**
 * An EAN-13 no other test uses (a barcode belongs to one SKU): restricted-circulation prefix 2, random digits.
 * Random rather than counted because test files run in parallel workers; the fuzz test keeps to GTIN-8s.
 */
export function uniqueBarcode(): string {
  const payload = `2${String(randomInt(1e11)).padStart(11, '0')}`;
  return `${payload}${gtinCheckDigit(payload)}`;
}
