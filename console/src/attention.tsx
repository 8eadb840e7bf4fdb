import { useEffect, useState } from 'preact/hooks';
import { call, query } from './api';
import { Loading, Outcome, Problem, Section, Status, when } from './components';
import { useAction, useApi } from './hooks';
import { InquiryCard, openInquiries } from './inquiries';
import { OrderList } from './orders';
import { href } from './router';
import type { ExecutionSummary, Inquiry, Order, Page, PickTask, QueueDepth } from './types';

const POLL_MS = 10_000;

function RedriveButton({ orderId, onDone }: { orderId: string; onDone: () => void }) {
  const redrive = useAction(async () => {
    await call('POST', `/ops/orders/${encodeURIComponent(orderId)}/redrive`);
    onDone();
    return `${orderId} redriven.`;
  });
  return (
    <>
      <button type="button" disabled={redrive.busy} onClick={() => redrive.run()} aria-label={`Redrive ${orderId}`}>
        Redrive
      </button>
      <Outcome done={redrive.done} error={redrive.error} needs="ops" />
    </>
  );
}

function FailedExecutions() {
  const failed = useApi<Page<ExecutionSummary>>(`/ops/executions${query({ status: 'FAILED', limit: 50 })}`, POLL_MS);
  const timedOut = useApi<Page<ExecutionSummary>>(`/ops/executions${query({ status: 'TIMED_OUT', limit: 50 })}`, POLL_MS);
  const aborted = useApi<Page<ExecutionSummary>>(`/ops/executions${query({ status: 'ABORTED', limit: 50 })}`, POLL_MS);
  const error = failed.error ?? timedOut.error ?? aborted.error;
  const items = [...(failed.data?.items ?? []), ...(timedOut.data?.items ?? []), ...(aborted.data?.items ?? [])];
  const reload = () => {
    for (const list of [failed, timedOut, aborted]) list.reload();
  };
  return (
    <Section title="Failed workflows">
      {error !== undefined && <Problem error={error} needs="ops" />}
      {error === undefined && !failed.data && <Loading what="failed workflows" />}
      {failed.data && !items.length && <p class="muted">None: every workflow is running or finished.</p>}
      <ul class="rows">
        {items.map((execution) => (
          <li key={execution.executionArn}>
            <a href={href.order(execution.orderId)}>{execution.orderId}</a> <Status value={execution.status} />{' '}
            <span class="muted">{when(execution.stopDate)}</span> <RedriveButton orderId={execution.orderId} onDone={reload} />
          </li>
        ))}
      </ul>
    </Section>
  );
}

function FraudHolds() {
  const held = useApi<Page<Order>>(`/ops/orders${query({ status: 'ON_HOLD', limit: 50 })}`, POLL_MS);
  return (
    <Section title="Fraud holds">
      <p class="muted">Open an order to approve or reject it.</p>
      {held.error !== undefined && <Problem error={held.error} needs="ops" />}
      {!held.data && held.error === undefined && <Loading what="held orders" />}
      {held.data && <OrderList orders={held.data.items} />}
    </Section>
  );
}

function OverduePicks() {
  const tasks = useApi<Page<PickTask>>(`/fulfillment/tasks${query({ status: 'OPEN', limit: 100 })}`, POLL_MS);
  const overdue = tasks.data?.items.filter((task) => task.overdue) ?? [];
  return (
    <Section title="Overdue pick tasks">
      {tasks.error !== undefined && <Problem error={tasks.error} needs="ops" />}
      {!tasks.data && tasks.error === undefined && <Loading what="pick tasks" />}
      {tasks.data && !overdue.length && <p class="muted">No pick task is overdue.</p>}
      <ul class="rows">
        {overdue.map((task) => (
          <li key={task.taskId}>
            <a href={href.order(task.orderId)}>{task.orderId}</a> <span class="muted">waiting since {when(task.createdAt)}</span>
          </li>
        ))}
      </ul>
    </Section>
  );
}

function OpenInquiries() {
  const [state, setState] = useState<{ items?: Inquiry[]; error?: unknown; tick: number }>({ tick: 0 });
  useEffect(() => {
    const controller = new AbortController();
    openInquiries(controller.signal).then(
      (items) => setState((previous) => ({ ...previous, items, error: undefined })),
      (error: unknown) => {
        if (!controller.signal.aborted) setState((previous) => ({ ...previous, error }));
      },
    );
    return () => controller.abort();
  }, [state.tick]);
  const reload = () => setState((previous) => ({ ...previous, tick: previous.tick + 1 }));
  return (
    <Section title="Open inquiries">
      {state.error !== undefined && <Problem error={state.error} needs="ops" />}
      {!state.items && state.error === undefined && <Loading what="inquiries" />}
      {state.items && !state.items.length && <p class="muted">No open inquiries.</p>}
      {state.items && state.items.length > 0 && <p class="muted">{state.items.length} open, oldest first.</p>}
      {state.items?.slice(0, 20).map((inquiry) => (
        <InquiryCard key={inquiry.inquiryId} inquiry={inquiry} showOrder onReplied={() => window.setTimeout(reload, 1500)} />
      ))}
    </Section>
  );
}

function QueueRow({ queue, onDone }: { queue: QueueDepth; onDone: () => void }) {
  const redrive = useAction(async () => {
    const moved = await call<{ moved: number }>('POST', `/ops/queues/${encodeURIComponent(queue.name)}/redrive`);
    onDone();
    return `${moved.moved} message${moved.moved === 1 ? '' : 's'} moved back to ${queue.name}.`;
  });
  return (
    <li>
      <strong>{queue.name}</strong>{' '}
      <span class={queue.deadLetters ? 'tag tag-alert' : 'tag'}>
        {queue.deadLetters} dead letter{queue.deadLetters === 1 ? '' : 's'}
      </span>{' '}
      <span class="muted">
        {queue.messages} waiting, {queue.inFlight} in flight
      </span>{' '}
      {queue.redrivable && queue.deadLetters > 0 && (
        <button type="button" disabled={redrive.busy} onClick={() => redrive.run()} aria-label={`Redrive ${queue.name}`}>
          Redrive
        </button>
      )}
      <Outcome done={redrive.done} error={redrive.error} needs="ops" />
    </li>
  );
}

function DeadLetters() {
  const queues = useApi<{ items: QueueDepth[] }>('/ops/queues', POLL_MS);
  return (
    <Section title="Dead-letter queues">
      {queues.error !== undefined && <Problem error={queues.error} needs="ops" />}
      {!queues.data && queues.error === undefined && <Loading what="queue depths" />}
      <ul class="rows">
        {queues.data?.items.map((queue) => (
          <QueueRow key={queue.name} queue={queue} onDone={queues.reload} />
        ))}
      </ul>
    </Section>
  );
}

export function AttentionScreen() {
  return (
    <>
      <FailedExecutions />
      <FraudHolds />
      <OverduePicks />
      <OpenInquiries />
      <DeadLetters />
    </>
  );
}
