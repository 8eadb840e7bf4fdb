import { ValidationFailed } from '../domain/errors.js';

/** List cursors are DynamoDB's LastEvaluatedKey, base64url-encoded so clients treat them as opaque. */
export function toCursor(lastEvaluatedKey: Record<string, unknown> | undefined): string | null {
  return lastEvaluatedKey ? Buffer.from(JSON.stringify(lastEvaluatedKey)).toString('base64url') : null;
}

/** Reads a cursor from `?cursor=`; one that is not ours is bad input (422), not a server fault. */
export function fromCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  let cause: unknown;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && !Array.isArray(key)) return key as Record<string, unknown>;
  } catch (error) {
    cause = error;
  }
  throw new ValidationFailed('The cursor is not one this API returned; use nextCursor from the previous page.', {
    details: [{ path: 'query.cursor', message: 'not a valid cursor' }],
    cause,
  });
}
