import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, explain, query } from './api';
import { CameraScanner, hasCameraScanning } from './camera';
import { Loading, Problem, Section, when } from './components';
import { signal } from './feedback';
import { useApi } from './hooks';
import { href, navigate } from './router';
import type { Page, PickTask } from './types';

const POLL_MS = 10_000;
/** Open tasks are listed 100 to a page; a task is looked for in this many. */
const MAX_PAGES = 20;

async function findOpenTask(idOrOrder: string, signal?: AbortSignal): Promise<PickTask | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, nextCursor } = await call<Page<PickTask>>('GET', `/fulfillment/tasks${query({ status: 'OPEN', limit: 100, cursor })}`, {
      signal,
    });
    const task = items.find((candidate) => candidate.taskId === idOrOrder || candidate.orderId === idOrOrder);
    if (task || !nextCursor) return task;
    cursor = nextCursor;
  }
  return undefined;
}

function OpenSlip() {
  const [code, setCode] = useState('');
  return (
    <form
      class="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (code.trim()) navigate(href.task(code.trim()));
      }}
    >
      <label>
        Pick slip (task or order id)
        <input value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} autocomplete="off" />
      </label>
      <button type="submit" class="primary">
        Open
      </button>
    </form>
  );
}

export function WarehouseScreen() {
  const tasks = useApi<Page<PickTask>>(`/fulfillment/tasks${query({ status: 'OPEN', limit: 50 })}`, POLL_MS);
  return (
    <Section title="Open pick tasks">
      <OpenSlip />
      {tasks.error !== undefined && <Problem error={tasks.error} needs="warehouse" />}
      {!tasks.data && tasks.error === undefined && <Loading what="pick tasks" />}
      {tasks.data && !tasks.data.items.length && <p class="muted">Nothing to pick.</p>}
      <ul class="rows">
        {tasks.data?.items.map((task) => {
          const units = task.lines.reduce((sum, line) => sum + line.quantity, 0);
          return (
            <li key={task.taskId}>
              <a href={href.task(task.taskId)}>Order {task.orderId}</a>{' '}
              <span class="muted">
                {units} unit{units === 1 ? '' : 's'} · since {when(task.createdAt)}
              </span>
              {task.overdue && <span class="tag tag-alert">overdue</span>}
            </li>
          );
        })}
      </ul>
    </Section>
  );
}

type Banner = { kind: 'ok' | 'error' | 'done'; text: string } | undefined;

const REFUSALS: Record<string, string> = {
  BARCODE_MISMATCH: 'Wrong item: not on this order',
  ALREADY_PICKED: 'Already picked: put it back',
  INVALID_BARCODE: 'Not a valid barcode: scan again',
};

export function TaskScreen({ taskId }: { taskId: string }) {
  const [task, setTask] = useState<PickTask>();
  const [loadError, setLoadError] = useState<unknown>();
  const [missing, setMissing] = useState(false);
  const [code, setCode] = useState('');
  const [weight, setWeight] = useState('');
  const [banner, setBanner] = useState<Banner>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    findOpenTask(taskId, controller.signal).then(
      (found) => (found ? setTask(found) : setMissing(true)),
      (error: unknown) => {
        if (!controller.signal.aborted) setLoadError(error);
      },
    );
    return () => controller.abort();
  }, [taskId]);

  // A keyboard-wedge scanner types into whatever has focus: the scan field has it from the moment the task shows.
  const loaded = Boolean(task);
  useEffect(() => {
    if (loaded) input.current?.focus();
  }, [loaded]);

  const show = (next: NonNullable<Banner>) => {
    setBanner(next);
    signal(next.kind);
  };

  const scan = useCallback(
    async (barcode: string) => {
      if (!task || !barcode) return;
      try {
        const updated = await call<PickTask>('POST', `/fulfillment/tasks/${encodeURIComponent(task.taskId)}/scans`, { body: { barcode } });
        setTask(updated);
        const line =
          updated.lines.find((candidate) => candidate.barcode === barcode) ?? updated.lines.find((l) => barcode.endsWith(l.barcode));
        show({ kind: 'ok', text: line ? `✓ ${line.name}: ${line.picked} of ${line.quantity} picked` : `✓ Picked ${barcode}` });
      } catch (error) {
        const refusal = error instanceof ApiError ? REFUSALS[error.code] : undefined;
        show({ kind: 'error', text: `✗ ${refusal ? `${refusal}. ` : ''}${explain(error, 'warehouse')}` });
      }
    },
    [task],
  );

  const submitScan = (event: Event) => {
    event.preventDefault();
    const barcode = code.trim();
    setCode('');
    void scan(barcode);
    input.current?.focus();
  };

  const complete = async (event: Event) => {
    event.preventDefault();
    if (!task) return;
    setBusy(true);
    try {
      await call('POST', `/fulfillment/tasks/${encodeURIComponent(task.taskId)}/complete`, {
        body: { packageWeightGrams: Number(weight) },
      });
      setTask({ ...task, status: 'COMPLETED' });
      show({ kind: 'done', text: `✓ Packed order ${task.orderId}: the label is being bought.` });
    } catch (error) {
      show({ kind: 'error', text: `✗ ${explain(error, 'warehouse')}` });
    } finally {
      setBusy(false);
    }
  };

  const title = task ? `Pick order ${task.orderId}` : 'Pick task';
  if (loadError !== undefined || missing || !task) {
    return (
      <Section title={title} id="task">
        {loadError !== undefined ? (
          <Problem error={loadError} needs="warehouse" />
        ) : missing ? (
          <p class="notice">
            No open pick task {taskId}: it may be packed already. <a href={href.warehouse}>Back to the open tasks</a>.
          </p>
        ) : (
          <Loading what="the pick task" />
        )}
      </Section>
    );
  }
  const allPicked = task.lines.every((line) => line.picked >= line.quantity);
  const packed = task.status === 'COMPLETED';
  return (
    <Section title={title} id="task">
      <div class={`banner${banner ? ` banner-${banner.kind}` : ''}`} role="status" aria-live="assertive" aria-atomic="true">
        {banner?.text ?? ''}
      </div>
      <ul class="rows lines">
        {task.lines.map((line) => (
          <li key={line.sku} class={line.picked >= line.quantity ? 'picked' : undefined}>
            <strong>
              {line.picked}/{line.quantity}
            </strong>{' '}
            {line.name} <span class="muted">{line.barcode}</span>
            {line.picked >= line.quantity && <span class="tag">picked</span>}
          </li>
        ))}
      </ul>
      {!packed && (
        <form class="inline-form" onSubmit={submitScan}>
          <label>
            Scan or type a barcode
            <input
              ref={input}
              value={code}
              onInput={(e) => setCode((e.target as HTMLInputElement).value)}
              inputMode="numeric"
              autocomplete="off"
            />
          </label>
          <button type="submit" class="primary">
            Scan
          </button>
        </form>
      )}
      {!packed && hasCameraScanning && <CameraScanner onCode={scan} />}
      {!packed && allPicked && (
        <form class="inline-form" onSubmit={complete}>
          <label>
            Package weight (grams)
            <input
              value={weight}
              onInput={(e) => setWeight((e.target as HTMLInputElement).value)}
              inputMode="numeric"
              pattern="[0-9]+"
              required
            />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            Complete packing
          </button>
        </form>
      )}
      <p>
        <a href={href.warehouse}>Back to the open tasks</a>
      </p>
    </Section>
  );
}
