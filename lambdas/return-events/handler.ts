import { routes } from '../api/routes.js';
import { visibleReturn } from '../domain/returns.js';
import { apiHandler } from '../shared/http.js';
import { returnEvents } from '../shared/return-events.js';
import { returns } from '../shared/returns.js';

/** The warehouse reports a return received or inspected; ProcessReturn applies it from the queue. */
export const handler = apiHandler(routes.returnEvents, async ({ params, body, principal }) => {
  await visibleReturn(returns, params.returnId, principal);
  await returnEvents.enqueue({ returnId: params.returnId, ...body });
  return { status: 202, body: { returnId: params.returnId, eventId: body.eventId, queued: true } };
});
