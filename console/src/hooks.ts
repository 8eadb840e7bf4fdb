import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { call } from './api';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (when set) and, with `pollMs`, again on that interval while the tab is visible. A failed
 * call is kept as `error` for the screen to explain; nothing is thrown or logged.
 */
export function useApi<T>(path: string | undefined, pollMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: Boolean(path) });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const latest = useRef(path);
  latest.current = path;

  useEffect(() => {
    if (!path) return;
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    call<T>('GET', path, { signal: controller.signal }).then(
      (data) => setState({ data, loading: false }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState((previous) => ({ data: previous.data, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [path, tick]);

  useEffect(() => {
    if (!path || !pollMs) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [path, pollMs, reload]);

  return { ...state, reload };
}

/** A POST (or other change) with its pending state, success message and error, for a button. */
export function useAction<A extends unknown[]>(
  run: (...args: A) => Promise<string>,
): { run: (...args: A) => Promise<void>; busy: boolean; done?: string; error?: unknown } {
  const [state, setState] = useState<{ busy: boolean; done?: string; error?: unknown }>({ busy: false });
  const start = useCallback(
    async (...args: A) => {
      setState({ busy: true });
      try {
        setState({ busy: false, done: await run(...args) });
      } catch (error) {
        setState({ busy: false, error });
      }
    },
    [run],
  );
  return { run: start, ...state };
}
