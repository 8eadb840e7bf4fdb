import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildOpenApiDocument } from '../lambdas/api/openapi.js';

/** Writes docs/openapi.json from the route table; a unit test fails when it is stale. */
export const OPENAPI_FILE = path.resolve(import.meta.dirname, '..', 'docs', 'openapi.json');

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  console.log(`Wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
}
