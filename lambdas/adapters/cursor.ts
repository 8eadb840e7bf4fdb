import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ValidationFailed } from '../domain/errors.js';

/** Where a page of a time-ordered list ended: the last evaluated item's time and id (keys.ts builds keys from them). */
export interface ListPosition {
  at: string;
  id: string;
}

/**
 * What a cursor carries: a version, a tag of the list it was made for, and a position in that list. Never a
 * key: repositories rebuild the ExclusiveStartKey from the position inside the partition of the request's own
 * query, so a cursor cannot reach another list, and one that is not a position in this list is refused.
 */
const CursorPayload = z.strictObject({
  v: z.literal(1),
  list: z.string().regex(/^[\w-]{16}$/),
  at: z.iso.datetime(),
  id: z.string().min(1).max(64),
});

/**
 * A list's tag: a digest of its identity (partition and filters), so a cursor of one list (another storefront's,
 * another status) is refused by another. Not a secret: forging one only names a position in the caller's own list.
 */
const listTag = (list: string) => createHash('sha256').update(list).digest('base64url').slice(0, 16);

/** The cursor for the page after `position` in `list`; null when the list has no more pages. */
export function toCursor(list: string, position: ListPosition | undefined): string | null {
  if (!position) return null;
  return Buffer.from(JSON.stringify({ v: 1, list: listTag(list), at: position.at, id: position.id })).toString('base64url');
}

/**
 * Reads `?cursor=` for `list`, whose items have ids of the shape `id`. Anything this API did not return for that
 * list is bad input (422 with the detail path `query.cursor`), never a server fault.
 */
export function fromCursor(list: string, cursor: string | undefined, id: z.ZodType<string>): ListPosition | undefined {
  // An empty `?cursor=` asks for the first page, as it always has.
  if (!cursor) return undefined;
  const payload = CursorPayload.safeParse(decode(cursor));
  if (payload.success && payload.data.list === listTag(list) && id.safeParse(payload.data.id).success) {
    return { at: payload.data.at, id: payload.data.id };
  }
  throw new ValidationFailed('The cursor is not one this API returned for this list; use nextCursor from the previous page.', {
    details: [{ path: 'query.cursor', message: 'not a cursor of this list' }],
  });
}

/** The cursor's JSON, or undefined when it is not base64url-encoded JSON (the schema then refuses it). */
function decode(cursor: string): unknown {
  if (!/^[\w-]*$/.test(cursor)) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    // Only a parse failure means "not ours"; anything else is a fault to surface.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** A position in a finance export: the day and the last movement a page included. */
const ExportCursorPayload = z.strictObject({
  v: z.literal(1),
  list: z.string().regex(/^[\w-]{16}$/),
  day: z.iso.date(),
  after: z.string().regex(/^[\w.-]{1,200}$/),
});

/** The cursor for the export page after `position` of the export `list` (its range). */
export function toExportCursor(list: string, position: { day: string; after: string } | undefined): string | null {
  if (!position) return null;
  return Buffer.from(JSON.stringify({ v: 1, list: listTag(list), ...position })).toString('base64url');
}

/** Reads an export's `?cursor=`; one made for another range (or not by this API) is a 422 on `query.cursor`. */
export function fromExportCursor(list: string, cursor: string | undefined): { day: string; after: string } | undefined {
  if (!cursor) return undefined;
  const payload = ExportCursorPayload.safeParse(decode(cursor));
  if (payload.success && payload.data.list === listTag(list)) return { day: payload.data.day, after: payload.data.after };
  throw new ValidationFailed('The cursor is not one this API returned for this export; use X-Next-Cursor from the previous page.', {
    details: [{ path: 'query.cursor', message: 'not a cursor of this export' }],
  });
}

/**
 * A cursor for lists whose position is not one item's time and id: the catalog (a SKU), a list read from several
 * partitions (a day and an item), a list another service pages (its token). Bound to its list like the others.
 */
const PositionCursorPayload = z.strictObject({ v: z.literal(1), list: z.string().regex(/^[\w-]{16}$/), p: z.unknown() });

/** The cursor for the page after `position` in `list`; null when the list has no more pages. */
export function toPositionCursor<Position>(list: string, position: Position | undefined): string | null {
  if (position === undefined) return null;
  return Buffer.from(JSON.stringify({ v: 1, list: listTag(list), p: position })).toString('base64url');
}

/** Reads `?cursor=` for `list`; anything this API did not return for that list (its position not of `schema`) is a 422. */
export function fromPositionCursor<Position>(list: string, cursor: string | undefined, schema: z.ZodType<Position>): Position | undefined {
  if (!cursor) return undefined;
  const payload = PositionCursorPayload.safeParse(decode(cursor));
  const position = payload.success && payload.data.list === listTag(list) ? schema.safeParse(payload.data.p) : undefined;
  if (position?.success) return position.data;
  throw new ValidationFailed('The cursor is not one this API returned for this list; use nextCursor from the previous page.', {
    details: [{ path: 'query.cursor', message: 'not a cursor of this list' }],
  });
}
