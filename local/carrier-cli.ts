import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CarrierStatus, SHIPMENT_RANK, signCarrierPayload } from '../lambdas/domain/tracking.js';
import type { Endpoints } from './cloud.js';

const USAGE = `Plays the sandbox carrier against the running local cloud: signed events through POST /carrier/events,
exactly as a real carrier's webhook would send them.

  npm run carrier -- advance <orderId|trackingNumber> [STATUS]   one step (the next status, or STATUS)
  npm run carrier -- deliver <orderId|trackingNumber>            every remaining step up to DELIVERED

STATUS: ${CarrierStatus.options.join(', ')}
Options:
  --endpoints <file>   another local cloud's endpoints.json (default .local/endpoints.json)`;

/** The carrier's statuses in the order a parcel goes through them (EXCEPTION is sent only when asked for). */
const JOURNEY = CarrierStatus.options.filter((status) => status !== 'EXCEPTION');

interface Shipment {
  trackingNumber: string;
  status: string;
}

function fail(message: string): never {
  console.error(`✖ ${message}`);
  process.exit(2);
}

function endpoints(file: string): Endpoints {
  if (!existsSync(file)) fail(`No local cloud found (${file} is missing): run npm start first.`);
  return JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
}

async function call<T>(cloud: Endpoints, method: string, route: string, body?: string, headers: Record<string, string> = {}) {
  let response: Response;
  try {
    response = await fetch(`${cloud.api}${route}`, { method, body, headers: { authorization: `Bearer ${cloud.keys.ops}`, ...headers } });
  } catch {
    fail(`The local cloud does not answer at ${cloud.api}: start it with npm start.`);
  }
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** The shipment an order id or tracking number names, with its current status. */
async function findShipment(cloud: Endpoints, reference: string): Promise<{ orderId?: string; shipment: Shipment }> {
  if (!reference.startsWith('ord_')) return { shipment: { trackingNumber: reference, status: 'LABEL_CREATED' } };
  const { status, body } = await call<{ status?: string; shipments?: Shipment[] }>(cloud, 'GET', `/orders/${reference}`);
  if (status !== 200) fail(`Order ${reference} was not found.`);
  const shipment = body.shipments?.at(-1);
  if (!shipment) fail(`Order ${reference} has not shipped yet (it is ${body.status}); pick and pack it first.`);
  return { orderId: reference, shipment };
}

async function send(cloud: Endpoints, trackingNumber: string, status: string): Promise<void> {
  const raw = JSON.stringify({ eventId: `evt_${randomUUID()}`, trackingNumber, status, occurredAt: new Date().toISOString() });
  const response = await call<{ error?: { message: string } }>(cloud, 'POST', '/carrier/events', raw, {
    'content-type': 'application/json',
    'x-conveyor-signature': signCarrierPayload(raw, cloud.carrierSecret),
  });
  if (response.status !== 202) fail(`The webhook refused ${status} (${response.status}): ${response.body.error?.message ?? 'no message'}`);
  console.log(`→ ${status} for ${trackingNumber} (queued)`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { endpoints: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, reference, requested] = positionals;
  if (values.help || !command) return console.log(USAGE);
  if (!reference) fail(`Say which order or tracking number.\n\n${USAGE}`);
  if (command !== 'advance' && command !== 'deliver') fail(`Unknown command "${command}".\n\n${USAGE}`);
  const cloud = endpoints(values.endpoints ?? path.join(process.cwd(), '.local', 'endpoints.json'));
  const { orderId, shipment } = await findShipment(cloud, reference);
  const done = SHIPMENT_RANK[shipment.status] ?? 0;
  const remaining = JOURNEY.filter((status) => (SHIPMENT_RANK[status] as number) > done);
  if (requested && !CarrierStatus.safeParse(requested).success)
    fail(`Unknown status ${requested}; use one of ${CarrierStatus.options.join(', ')}.`);
  const steps = requested ? [requested] : command === 'deliver' ? remaining : remaining.slice(0, 1);
  if (steps.length === 0) return console.log(`${shipment.trackingNumber} is already ${shipment.status}; nothing to send.`);
  for (const status of steps) await send(cloud, shipment.trackingNumber, status);
  if (!orderId) return;
  // Events go through the queue; show where the order got to once they are applied.
  const last = steps.at(-1) as string;
  for (let i = 0; i < 50; i++) {
    const { body } = await call<{ status: string; shipments: Shipment[] }>(cloud, 'GET', `/orders/${orderId}`);
    // DELIVERED is applied to the shipment first, then the workflow marks the order: wait for both.
    const applied = body.shipments.at(-1)?.status === last && (last !== 'DELIVERED' || body.status === 'DELIVERED');
    if (applied || (last === 'EXCEPTION' && i > 5)) {
      console.log(`Order ${orderId} is ${body.status}; shipment ${shipment.trackingNumber} is ${body.shipments.at(-1)?.status}.`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(`Sent; order ${orderId} has not caught up yet — GET /orders/${orderId} shows it when it does.`);
}

main().catch((error: Error) => fail(error.message));
