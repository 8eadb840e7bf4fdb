/**
 * Fuzzes the HTTP API of the integration suite's local cloud with fast-check: arbitrary methods, paths (every
 * route's, with its path parameters valid, garbled, percent-encoded, unicode or malformed), query strings,
 * headers (keys of every scope and none, content types, signatures, oversized), and bodies (near-valid JSON for
 * each route, arbitrary JSON, garbage text and bytes). The property, from API.md: never a 5xx, and every
 * non-2xx response carries the error envelope with a requestId.
 *
 * `npm test` sends up to FUZZ_RUNS requests (default 3,000) and stops after FUZZ_SECONDS (default 45, so a loaded
 * two-core machine stays well under a minute; the run logs how many it sent). More with e.g.
 * `FUZZ_RUNS=50000 FUZZ_SECONDS=0 npx vitest run test/integration/fuzz.test.ts` (0: no time limit). A failure
 * prints fast-check's seed and path: `FUZZ_SEED=<seed>` replays the run.
 *
 * It shares the cloud with the other integration tests, so whatever it could change stays its own: products
 * and adjustments only under FUZZ- SKUs with GTIN-8 barcodes (tests use EAN-13s), orders only for SKUs that do
 * not exist (422 UNKNOWN_SKU before any write), carrier events only for FUZZ tracking numbers.
 */
import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toCursor } from '../../lambdas/adapters/cursor.js';
import { keys as tableKeys } from '../../lambdas/adapters/keys.js';
import { allRoutes, type RouteDefinition } from '../../lambdas/api/routes.js';
import { gtinCheckDigit } from '../../lambdas/domain/gtin.js';
import { signCarrierPayload } from '../../lambdas/domain/tracking.js';
import { cloud } from './client.js';

const REQUESTS = Number(process.env.FUZZ_RUNS ?? 3000);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 45);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** Requests in flight at once: one property run sends a batch of this many. */
const BATCH = 8;

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sign the body as a carrier would (X-Conveyor-Signature), so it gets past the signature check. */
  sign: boolean;
  /** Add a header over the local API's 16 KB limit: it answers 431 before any function runs. */
  oversized: boolean;
}

interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

// ---- pieces of requests ----

const fuzzGtin8 = (n: number) => {
  const payload = `9${String(n).padStart(6, '0')}`;
  return `${payload}${gtinCheckDigit(payload)}`;
};
/** Printable ASCII, Latin-1, unicode (astral and lone surrogates included) and control characters. */
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\uffff', '\ud800', '😀', 'é', '../..', '%', '#', '?', '\\', '"', "'", '<script>', '\n'),
);
const alnum = fc.stringMatching(/^[a-z0-9]{8,40}$/);

/** Percent-encodes every byte of the text's UTF-8 but unreserved characters (lone surrogates become U+FFFD). */
const percentEncode = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[\w.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
/** What Node's client sends raw in a request target: no space or control character, Latin-1 at most. */
const rawTarget = fc.string({ unit: fc.integer({ min: 0x21, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 30 });

/** A path parameter: well-formed values of each kind, arbitrary text percent-encoded, and broken encodings. */
const paramValue = (name: string): fc.Arbitrary<string> => {
  const wellFormed: Record<string, fc.Arbitrary<string>> = {
    sku: fc.constantFrom('FUZZ-P0', 'FUZZ-P1', 'FUZZ-P2', 'FUZZ-P3'),
    orderId: alnum.map((id) => `ord_${id}`),
    taskId: alnum.map((id) => `pick_${id}`),
  };
  return fc.oneof(
    { weight: 8, arbitrary: wellFormed[name] ?? fc.constant('x') },
    { weight: 2, arbitrary: anyText.filter((text) => text.length > 0).map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%Z', '%ZZ', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%00', '%2F', '%25', '%F0%9F%98') },
    { weight: 1, arbitrary: rawTarget },
  );
};

const routePath = (template: string) =>
  fc
    .tuple(...template.split('/').map((segment) => (/^\{(\w+)\}$/.exec(segment) ? paramValue(segment.slice(1, -1)) : fc.constant(segment))))
    .map((segments) => segments.join('/'));

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...allRoutes.map((route) => route.path)).chain(routePath) },
  { weight: 1, arbitrary: fc.array(paramValue('x'), { maxLength: 4 }).map((segments) => `/${segments.join('/')}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('/', '//', '/health/', '/products', '/products/', '/orders/', '//orders', '/HEALTH', '/openapi.json/x'),
  },
);

/** The text as sent raw, with only what Node's client refuses in a request target percent-encoded. */
const rawOf = (text: string) => [...text].map((char) => (/^[\x21-\xff]$/.test(char) ? char : percentEncode(char))).join('');
/** Cursors the API would make: positions (of items that may not exist) in the demo storefront's and the open tasks' lists. */
const madeCursors = [
  toCursor(tableKeys.storefrontOrdersPartition('demo-store'), { at: '2026-01-01T00:00:00.000Z', id: 'ord_fuzz0000fuzz' }),
  toCursor(tableKeys.pickTasksPartition('OPEN'), { at: '2026-01-01T00:00:00.000Z', id: 'pick_fuzz0000fuzz' }),
] as string[];
const cursor = fc.oneof(
  fc.constantFrom(...madeCursors),
  // One character changed: tampered.
  fc.tuple(fc.constantFrom(...madeCursors), fc.nat(), fc.constantFrom('A', '_', '-', 'z')).map(([made, at, char]) => {
    const i = at % made.length;
    return `${made.slice(0, i)}${char}${made.slice(i + 1)}`;
  }),
);
const queryValue = fc.oneof(
  cursor,
  fc.constantFrom(
    '',
    '0',
    '1',
    '25',
    '100',
    '101',
    '-1',
    '1.5',
    'NaN',
    '1e3',
    'OPEN',
    'COMPLETED',
    'PENDING',
    'demo-store',
    'eyJwayI6bnVsbH0',
  ),
  fc.base64String({ maxLength: 60 }).map((text) => text.replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '')),
  fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url')),
  anyText,
);
const query = fc.option(
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom('limit', 'cursor', 'status', 'customerId', 'storefrontId', 'from', 'to'), fc.string({ maxLength: 10 })),
        queryValue,
        fc.boolean(),
      ),
      { maxLength: 4 },
    )
    .map((pairs) =>
      // Encoded as a client would, or raw with whatever percent signs and separators the text has.
      pairs
        .map(([name, value, raw]) => (raw ? `${rawOf(name)}=${rawOf(value)}` : `${percentEncode(name)}=${percentEncode(value)}`))
        .join('&'),
    ),
  { nil: undefined },
);

/** Header values Node's client sends: tab, printable ASCII and Latin-1. */
const headerText = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }), fc.constant(0x09))
    .map((c) => String.fromCharCode(c)),
  maxLength: 60,
});
const keys = cloud.keys;
const authorization = fc.option(
  fc.oneof(
    fc.constantFrom(keys.storefront, keys.ops, keys.warehouse, keys.finance).map((key) => `Bearer ${key}`),
    fc.constantFrom('Bearer ', 'Bearer cvy_ops_not-a-real-key', `Basic ${Buffer.from('a:b').toString('base64')}`, keys.ops),
    headerText,
  ),
  { nil: undefined },
);
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/vnd.api+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'image/png',
      'multipart/form-data; boundary=x',
    ),
    headerText,
  ),
  { nil: undefined },
);
/** Headers that frame the message or the connection are the HTTP client's to set. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'host', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive']);
const extraHeaders = fc.dictionary(
  fc.oneof(
    fc.constantFrom('idempotency-key', 'x-conveyor-signature', 'cookie', 'accept', 'x-forwarded-for', 'user-agent'),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((name) => !FRAMING.has(name)),
  ),
  fc.oneof(
    headerText,
    fc.constant('x'.repeat(129)),
    fc.constantFrom(`t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`, 't=,v1=', 'v1=zz'),
  ),
  { maxKeys: 3 },
);

/** Bodies each route would take, to be sent as they are or with a field broken. */
/** Mostly a valid value (so whole bodies are often valid), sometimes one of the invalid ones. */
const mostly = <T>(valid: fc.Arbitrary<T>, ...invalid: T[]) =>
  fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
const nearValid = {
  product: fc.record({
    name: mostly(fc.constant('Fuzz lamp'), ' ', ''),
    price: fc.record({
      amount: mostly(fc.constantFrom(1, 999), 0, -1, 1.5),
      currency: mostly(fc.constantFrom('EUR', 'USD'), 'eur', 'XXX'),
    }),
    barcode: mostly(fc.integer({ min: 0, max: 9 }).map(fuzzGtin8), '96385075', '0', 'abc'),
    weightGrams: mostly(fc.constantFrom(1, 250), 0, 1_000_001),
  }),
  adjustment: fc.record({ delta: mostly(fc.constantFrom(1, 5, -1), -1_000_000, 0, 1.5), reason: mostly(fc.constant('fuzz'), '') }),
  order: fc.record({
    customer: fc.record({
      id: fc.constant('fuzz-c1'),
      email: mostly(fc.constant('fuzz@example.com'), 'not-an-email'),
      name: fc.constant('Fuzz'),
    }),
    // SKUs no product has: an order that passes validation stops at 422 UNKNOWN_SKU, before any write.
    items: fc.array(fc.record({ sku: fc.constantFrom('FUZZ-X0', 'FUZZ-X1'), quantity: mostly(fc.constantFrom(1, 2), 0, 1000) }), {
      minLength: 0,
      maxLength: 3,
    }),
    shippingAddress: fc.record({
      name: fc.constant('Fuzz'),
      line1: fc.constant('1 Fuzz Street'),
      city: fc.constant('Berlin'),
      postalCode: fc.constant('10115'),
      country: mostly(fc.constantFrom('DE', 'US'), 'ZZ', 'de'),
    }),
    shippingOption: mostly(fc.constantFrom('standard', 'express', 'overnight'), 'teleport'),
    payment: fc.record({ token: mostly(fc.constantFrom('tok_visa', 'tok_declined'), '') }),
  }),
  review: fc.record({ decision: mostly(fc.constantFrom('approve', 'reject'), 'maybe'), note: mostly(fc.constant('fuzz'), '') }),
  scan: fc.record({ barcode: mostly(fc.integer({ min: 0, max: 9 }).map(fuzzGtin8), '4006381333931', '1') }),
  complete: fc.record({ packageWeightGrams: mostly(fc.constantFrom(1, 400), 0, -5) }),
  carrierEvent: fc.record({
    eventId: fc.oneof({ weight: 4, arbitrary: alnum.map((id) => `fuzz-${id}`) }, { weight: 1, arbitrary: anyText }),
    trackingNumber: fc.oneof({ weight: 4, arbitrary: alnum.map((id) => `FUZZ${id}`) }, { weight: 1, arbitrary: anyText }),
    status: mostly(fc.constantFrom('PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION'), 'LOST'),
    occurredAt: mostly(fc.constant(new Date().toISOString()), '2026-13-45T99:00:00Z', 'yesterday'),
  }),
};
/** A near-valid body, sometimes with one field replaced by arbitrary JSON, removed, or joined by an unknown one. */
const brokenOrNot = (body: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .tuple(
      body,
      fc.nat(),
      fc.constantFrom('keep', 'keep', 'keep', 'replace', 'remove', 'add'),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), anyText),
    )
    .map(([value, pick, change, other]) => {
      const fields = Object.keys(value);
      const field = fields[pick % fields.length] as string;
      if (change === 'replace') return { ...value, [field]: other };
      if (change === 'remove') return Object.fromEntries(Object.entries(value).filter(([name]) => name !== field));
      if (change === 'add') return { ...value, unexpected: other };
      return value;
    });
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const body = fc.option(
  fc.oneof(
    { weight: 4, arbitrary: fc.oneof(...Object.values(nearValid).map(brokenOrNot)).map(json) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{"name": "Lamp",',
          '{"trackingNumber":"\\u0000"}',
          '"\\ud800"',
          'null',
          '[]',
          `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
          JSON.stringify({ name: 'x'.repeat(300 * 1024) }),
        )
        .map((text) => Buffer.from(text)),
    },
  ),
  { nil: undefined },
);

const anyMethod = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT') },
  { weight: 1, arbitrary: fc.constantFrom('DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE') },
);
const ofScope = (scopes: RouteDefinition['scopes']) =>
  scopes === 'public' ? fc.constant(undefined) : fc.constantFrom(...scopes.map((scope) => `Bearer ${keys[scope]}`));
/** The near-valid body of each route that takes one, by its handler. */
const bodyOf: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  'put-product': nearValid.product,
  'adjust-inventory': nearValid.adjustment,
  'place-order': nearValid.order,
  'review-order': nearValid.review,
  'scan-pick-task': nearValid.scan,
  'complete-pick-task': nearValid.complete,
  'carrier-webhook': nearValid.carrierEvent,
};

/** Requests aimed at one route: mostly its method, a key of its scope and its body, so they get past the first refusal. */
const routedParts = fc.constantFrom(...allRoutes).chain((route) =>
  fc.record({
    method: fc.oneof({ weight: 5, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: anyMethod }),
    path: routePath(route.path),
    authorization: fc.oneof({ weight: 4, arbitrary: ofScope(route.scopes) }, { weight: 1, arbitrary: authorization }),
    contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: contentType }),
    body: fc.oneof(
      {
        weight: 4,
        arbitrary: route.handler in bodyOf ? brokenOrNot(bodyOf[route.handler] as fc.Arbitrary<Record<string, unknown>>).map(json) : body,
      },
      { weight: 1, arbitrary: body },
    ),
  }),
);
/** Requests made of independent parts: any method on any path. */
const randomParts = fc.record({ method: anyMethod, path, authorization, contentType, body });

const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    parts: fc.oneof({ weight: 3, arbitrary: routedParts }, { weight: 1, arbitrary: randomParts }),
    query,
    idempotencyKey: fc.option(fc.oneof(alnum, headerText), { nil: undefined }),
    extraHeaders,
    sign: fc.boolean(),
    oversized: fc.nat(40).map((n) => n === 0),
  })
  .map(({ parts: { method, path, authorization, contentType, body }, query, idempotencyKey, extraHeaders, sign, oversized }) => ({
    method,
    path: query === undefined ? path : `${path}?${query}`,
    headers: {
      ...extraHeaders,
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      ...(authorization === undefined ? {} : { authorization }),
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
    },
    // A body with headers the server refuses unread would race the server's close.
    ...(body && !oversized ? { body } : {}),
    sign,
    oversized,
    // How fast-check prints a counterexample: long bodies are cut.
    [fc.toStringMethod]() {
      return describeRequest(this);
    },
  }));

// ---- sending and checking ----

const agent = new Agent({ keepAlive: true, maxSockets: BATCH });
const api = new URL(cloud.api);

function send(fuzz: FuzzRequest): Promise<FuzzResponse> {
  const headers: Record<string, string> = { ...fuzz.headers, ...(fuzz.oversized ? { 'x-padding': 'p'.repeat(17 * 1024) } : {}) };
  if (fuzz.sign && fuzz.body) headers['x-conveyor-signature'] = signCarrierPayload(fuzz.body.toString('utf8'), cloud.carrierSecret);
  if (fuzz.body) headers['content-length'] = String(fuzz.body.length);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: api.hostname, port: api.port, method: fuzz.method, path: fuzz.path, headers, agent }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () =>
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.setTimeout(45_000, () => outgoing.destroy(new Error('no answer in 45 s')));
    outgoing.end(fuzz.body);
  });
}

/** What is wrong with a response, or undefined: a 5xx, or a non-2xx without the envelope and its requestId. */
function violation(fuzz: FuzzRequest, response: FuzzResponse): string | undefined {
  if (response.status >= 500) return `answered ${response.status}`;
  if (response.status >= 200 && response.status < 300) return undefined;
  // A response to HEAD has no body by definition: only its status can be checked.
  if (fuzz.method === 'HEAD') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.text);
  } catch (error) {
    return `answered ${response.status} with a body that is not JSON (${(error as Error).message})`;
  }
  const envelope = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown; requestId?: unknown } } | null)?.error;
  const ok =
    typeof envelope?.code === 'string' &&
    /^[A-Z][A-Z_]*$/.test(envelope.code) &&
    typeof envelope.message === 'string' &&
    Array.isArray(envelope.details) &&
    typeof envelope.requestId === 'string' &&
    envelope.requestId.length > 0;
  return ok ? undefined : `answered ${response.status} without the error envelope`;
}

function describeRequest(fuzz: FuzzRequest): string {
  const body = fuzz.body && fuzz.body.length > 300 ? `<${fuzz.body.length} bytes>` : fuzz.body?.toString('utf8');
  return JSON.stringify({ method: fuzz.method, path: fuzz.path, headers: fuzz.headers, body, sign: fuzz.sign, oversized: fuzz.oversized });
}

/** The route a request path is for, as its template (`/products/{sku}`), to report which routes answered 2xx. */
const templates = allRoutes.map((route) => ({ path: route.path, pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`) }));
const templateOf = (target: string) => templates.find((route) => route.pattern.test(target.split('?')[0] as string))?.path ?? 'other';

describe('fuzzing the HTTP API', () => {
  it(
    `never answers 5xx, and answers every non-2xx with the error envelope (${REQUESTS} requests)`,
    async () => {
      let sent = 0;
      const statuses = new Map<number, number>();
      const succeeded = new Map<string, number>();
      const started = Date.now();

      try {
        await fc.assert(
          fc.asyncProperty(fc.array(fuzzRequest, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
            const responses = await Promise.all(batch.map(send));
            sent += batch.length;
            for (const [i, response] of responses.entries()) {
              statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
              if (response.status < 300) {
                const route = `${batch[i]?.method} ${templateOf(batch[i]?.path ?? '')}`;
                succeeded.set(route, (succeeded.get(route) ?? 0) + 1);
              }
              const problem = violation(batch[i] as FuzzRequest, response);
              if (problem) throw new Error(`${problem}: ${response.text.slice(0, 500)}\nfor ${describeRequest(batch[i] as FuzzRequest)}`);
            }
          }),
          {
            numRuns: Math.ceil(REQUESTS / BATCH),
            // Runs left when time is up are skipped, not failed; the count below says how many were sent.
            ...(SECONDS > 0 ? { interruptAfterTimeLimit: SECONDS * 1000 } : {}),
            ...(SEED === undefined ? {} : { seed: SEED }),
          },
        );
      } finally {
        agent.destroy();
      }

      const seconds = (Date.now() - started) / 1000;
      console.log(
        `[fuzz] ${sent} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}; 2xx by route ${JSON.stringify(Object.fromEntries(succeeded))}`,
      );
      // Enough was sent to mean something, and the generators reach every kind of answer the property is about,
      // not only one early refusal.
      expect(sent).toBeGreaterThanOrEqual(Math.min(REQUESTS, 400));
      expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400, 401, 403, 404, 405, 422, 431]));
    },
    SECONDS > 0 ? (SECONDS + 30) * 1000 : Math.max(60_000, REQUESTS * 100),
  );
});
