import { routes } from '../api/routes.js';
import { LedgerTotals, ledgerLines } from '../domain/ledger.js';
import { apiHandler } from '../shared/http.js';
import { ledger } from '../shared/ledger.js';

/** Finance's figures for a range, per currency, added up from the ledger (S3), never from the live table. */
export const handler = apiHandler(routes.financeSummary, async ({ query }) => {
  const totals = new LedgerTotals();
  for await (const line of ledgerLines(ledger, query.from, query.to)) totals.add(line);
  return { status: 200, body: { from: query.from, to: query.to, currencies: totals.summary() } };
});
