import type { ComponentChildren } from 'preact';
import { ApiError, explain } from './api';
import type { Money as MoneyValue } from './types';

export function money(value: MoneyValue | undefined): string {
  if (!value) return '—';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: value.currency }).format(value.amount / 100);
  } catch {
    return `${(value.amount / 100).toFixed(2)} ${value.currency}`;
  }
}

export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function Status({ value }: { value: string }) {
  return <span class={`status status-${value.toLowerCase().replace(/_/g, '-')}`}>{value.replace(/_/g, ' ')}</span>;
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const headingId = `${id ?? title.toLowerCase().replace(/\W+/g, '-')}-heading`;
  return (
    <section class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

/** A failed load, said calmly: "not available" for a route this API does not have yet, the API's words otherwise. */
export function Problem({ error, needs }: { error: unknown; needs?: 'ops' | 'warehouse' }) {
  const calm = error instanceof ApiError && error.notAvailable;
  return (
    <p class={calm ? 'notice' : 'notice notice-error'} role={calm ? undefined : 'alert'}>
      {explain(error, needs)}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

/** The outcome of an action next to its button, read out by screen readers. */
export function Outcome({ done, error, needs }: { done?: string; error?: unknown; needs?: 'ops' | 'warehouse' }) {
  return (
    <p class={error ? 'outcome notice-error' : 'outcome'} role="status" aria-live="polite">
      {error ? explain(error, needs) : (done ?? '')}
    </p>
  );
}
