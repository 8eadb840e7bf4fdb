import { fromExportCursor, toExportCursor } from '../adapters/cursor.js';
import { EXPORT_PAGE_LINES, routes } from '../api/routes.js';
import { csvHeader, csvRow, exportPage, jsonLine } from '../domain/ledger.js';
import { apiHandler } from '../shared/http.js';
import { ledger } from '../shared/ledger.js';

/**
 * A page of the ledger's lines for a range, as CSV (header row first, on every page) or JSON lines. A page holds
 * whole movements up to EXPORT_PAGE_LINES lines; `X-Next-Cursor` (and a `Link: rel="next"`) asks for the next.
 * For whole months, `npm run finance:export` streams any range without pages.
 */
export const handler = apiHandler(routes.financeExports, async ({ query }) => {
  const list = `finance-export:${query.from}:${query.to}:${query.orderId ?? ''}`;
  const page = await exportPage(ledger, query, EXPORT_PAGE_LINES, fromExportCursor(list, query.cursor));
  const csv = query.format === 'csv';
  const text = (csv ? csvHeader() : '') + page.lines.map(csv ? csvRow : jsonLine).join('');
  const next = toExportCursor(list, page.next);
  const headers: Record<string, string> = {
    'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
    'content-disposition': `attachment; filename="ledger-${query.from}-${query.to}.${query.format}"`,
  };
  if (next) {
    headers['x-next-cursor'] = next;
    const order = query.orderId ? `&orderId=${query.orderId}` : '';
    headers.link = `</finance/exports?from=${query.from}&to=${query.to}&format=${query.format}${order}&cursor=${next}>; rel="next"`;
  }
  return { status: 200, text, headers };
});
