/** The HTTP API as the console uses it: the base URL from config.json, the key from sessionStorage, errors as ApiError. */

const KEY_ITEM = 'conveyor.console.apiKey';

export interface ErrorEnvelope {
  error?: { code?: string; message?: string; requestId?: string };
}

/** An answer other than 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The route is not on this API (yet): a 404 from the API's $default route. */
  get notAvailable(): boolean {
    return this.status === 404 && this.code === 'ROUTE_NOT_FOUND';
  }
}

let apiUrl = '';

/** Reads config.json, written beside the console at deploy time (locally: served by the local cloud). */
export async function loadConfig(): Promise<void> {
  const response = await fetch('./config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  const config = (await response.json()) as { apiUrl?: string };
  apiUrl = (config.apiUrl || window.location.origin).replace(/\/$/, '');
}

// sessionStorage: the key lives as long as the tab, never in the URL, never in localStorage.
export const storedKey = (): string => sessionStorage.getItem(KEY_ITEM) ?? '';
export const saveKey = (key: string): void => sessionStorage.setItem(KEY_ITEM, key.trim());
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM);

export interface CallOptions {
  body?: unknown;
  signal?: AbortSignal;
}

/** One request to the API with the stored key; resolves to the parsed JSON body (undefined when empty). */
export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${storedKey()}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${apiUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(0, 'NETWORK', 'The API did not answer. Check the connection and try again.');
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const envelope = (body ?? {}) as ErrorEnvelope;
    throw new ApiError(
      response.status,
      envelope.error?.code ?? `HTTP_${response.status}`,
      envelope.error?.message ?? `The API answered ${response.status}.`,
    );
  }
  return body as T;
}

/** A query string from the set values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** What the person at the screen should read about a failed call. `needs` names the key scope the screen needs. */
export function explain(error: unknown, needs?: 'ops' | 'warehouse'): string {
  if (!(error instanceof ApiError)) return 'Something went wrong in the console. Reload the page and try again.';
  if (error.status === 401) return 'The API did not accept this key. Enter a valid key (Change key, at the top).';
  if (error.status === 403)
    return needs
      ? `This key cannot do this: it needs a key with the ${needs} scope. Change key, at the top, to use one.`
      : `This key cannot do this: ${error.message}`;
  if (error.notAvailable) return 'Not available on this API yet.';
  return error.message;
}
