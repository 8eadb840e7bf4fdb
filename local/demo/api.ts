import type { Endpoints } from '../cloud.js';

export type Role = keyof Endpoints['keys'];

/** A request the API answered with a status the demo did not expect: it names the request and Conveyor's error. */
export class UnexpectedAnswer extends Error {
  override readonly name = 'UnexpectedAnswer';
  constructor(
    readonly request: string,
    readonly status: number,
    readonly code?: string,
    detail?: string,
  ) {
    super(`${request} answered ${status}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`);
  }
}

/** The deadline passed (or the run was interrupted) while a request or a wait was under way. */
export class Stopped extends Error {
  override readonly name = 'Stopped';
}

export interface Answer<T> {
  status: number;
  body: T;
}

interface ErrorEnvelope {
  error?: { code?: string; message?: string };
}

/** Statuses worth a second try: the local cloud answers them when it is briefly overloaded, never for bad input. */
const RETRYABLE = new Set([429, 502, 503, 504]);
const ATTEMPTS = 4;

/**
 * The demo's HTTP client: real requests to the local cloud's API, each with the key of the actor making it
 * (storefront, warehouse, ops), exactly as their own software would send them.
 */
export class DemoApi {
  constructor(
    private readonly endpoints: Endpoints,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Sends a request and returns the answer when its status is one of `expected`; anything else throws
   * UnexpectedAnswer. Requests are safe to repeat (reads, PUTs, Idempotency-Key and eventId writes), so
   * an overloaded answer or a dropped connection is retried a few times.
   */
  async call<T>(
    as: Role | 'carrier',
    method: string,
    route: string,
    options: { body?: unknown; rawBody?: string; headers?: Record<string, string>; expected?: readonly number[] } = {},
  ): Promise<Answer<T>> {
    const request = `${method} ${route}`;
    const headers: Record<string, string> = { ...options.headers };
    if (as !== 'carrier') headers.authorization = `Bearer ${this.endpoints.keys[as]}`;
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const expected = options.expected ?? [200];
    for (let attempt = 1; ; attempt++) {
      this.throwIfStopped();
      let response: Response;
      try {
        response = await fetch(`${this.endpoints.api}${route}`, { method, headers, body, signal: this.signal });
      } catch (error) {
        this.throwIfStopped();
        if (attempt < ATTEMPTS) {
          await this.pause(250 * attempt);
          continue;
        }
        throw new Error(`${request} failed: ${(error as Error).message}`, { cause: error });
      }
      const text = await response.text();
      const parsed = (text ? JSON.parse(text) : {}) as T & ErrorEnvelope;
      if (expected.includes(response.status)) return { status: response.status, body: parsed };
      if (RETRYABLE.has(response.status) && attempt < ATTEMPTS) {
        await this.pause(250 * attempt);
        continue;
      }
      throw new UnexpectedAnswer(request, response.status, parsed.error?.code, parsed.error?.message);
    }
  }

  /** Waits `ms`, or throws Stopped as soon as the run is stopped. */
  pause(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.signal.aborted) return reject(new Stopped('stopped'));
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Stopped('stopped'));
      };
      const timer = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private throwIfStopped(): void {
    if (this.signal.aborted) throw new Stopped('stopped');
  }
}
