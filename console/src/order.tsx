import { useEffect, useState } from 'preact/hooks';
import workflow from '../../statemachines/order-workflow.asl.json';
import { ApiError, call } from './api';
import { Loading, money, Outcome, Problem, Section, Status, when } from './components';
import { type ExecutionPath, executionPath, type PathStep, takenTransitions } from './execution-path';
import { useAction, useApi } from './hooks';
import { InquiryCard, orderInquiries } from './inquiries';
import { CANCELLABLE, type Execution, type Inquiry, type Order, REDRIVABLE } from './types';
import { type AslGraph, workflowGraph } from './workflow-graph';

const POLL_MS = 4000;
const FINAL = new Set(['DELIVERED', 'REJECTED', 'CANCELLED']);
const graph = workflowGraph(workflow as AslGraph);

function Actions({ order, execution, changed }: { order: Order; execution?: Execution; changed: () => void }) {
  const [note, setNote] = useState('');
  const [confirmCancel, setConfirmCancel] = useState(false);
  const id = encodeURIComponent(order.orderId);
  const review = useAction(async (decision: 'approve' | 'reject') => {
    await call('POST', `/ops/orders/${id}/review`, { body: { decision, ...(note.trim() ? { note: note.trim() } : {}) } });
    changed();
    return decision === 'approve' ? 'Approved: the workflow goes on to payment.' : 'Rejected: the order is being rejected.';
  });
  const redrive = useAction(async () => {
    await call('POST', `/ops/orders/${id}/redrive`);
    changed();
    return 'Redriven: the workflow continues from the state that failed.';
  });
  const cancel = useAction(async () => {
    await call('POST', `/orders/${id}/cancel`, { body: { reason: 'Cancelled from the ops console' } });
    setConfirmCancel(false);
    changed();
    return 'Cancellation requested: stock is released and the payment voided or refunded.';
  });
  const held = order.status === 'ON_HOLD';
  const redrivable = execution && REDRIVABLE.has(execution.status);
  return (
    <div class="actions">
      {held && (
        <div class="stack">
          <p>Held for fraud review{order.fraud ? ` (score ${order.fraud.score}: ${order.fraud.reasons.join(', ')})` : ''}.</p>
          <label>
            Note (optional)
            <input value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
          </label>
          <div class="buttons">
            <button type="button" class="primary" disabled={review.busy} onClick={() => review.run('approve')}>
              Approve order
            </button>
            <button type="button" class="danger" disabled={review.busy} onClick={() => review.run('reject')}>
              Reject order
            </button>
          </div>
        </div>
      )}
      <Outcome done={review.done} error={review.error} needs="ops" />
      {redrivable && (
        <div class="stack">
          <p>
            The workflow {execution.status === 'ABORTED' ? 'was stopped' : 'failed'}; a redrive continues it from the state where it
            stopped.
          </p>
          <button type="button" class="primary" disabled={redrive.busy} onClick={() => redrive.run()}>
            Redrive workflow
          </button>
        </div>
      )}
      <Outcome done={redrive.done} error={redrive.error} needs="ops" />
      {CANCELLABLE.has(order.status) && (
        <div class="buttons">
          {confirmCancel ? (
            <>
              <button type="button" class="danger" disabled={cancel.busy} onClick={() => cancel.run()}>
                Yes, cancel this order
              </button>
              <button type="button" onClick={() => setConfirmCancel(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirmCancel(true)}>
              Cancel order…
            </button>
          )}
        </div>
      )}
      <Outcome done={cancel.done} error={cancel.error} needs="ops" />
    </div>
  );
}

function Summary({ order }: { order: Order }) {
  return (
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <Status value={order.status} /> {order.statusReason && <span class="muted">{order.statusReason.replace(/_/g, ' ')}</span>}
      </dd>
      <dt>Customer</dt>
      <dd>
        {order.customer.name} · {order.customer.email} <span class="muted">({order.customer.id})</span>
      </dd>
      <dt>Ship to</dt>
      <dd>
        {[
          order.shippingAddress.name,
          order.shippingAddress.line1,
          order.shippingAddress.line2,
          order.shippingAddress.postalCode,
          order.shippingAddress.city,
          order.shippingAddress.country,
        ]
          .filter(Boolean)
          .join(', ')}{' '}
        <span class="muted">({order.shippingOption})</span>
      </dd>
      <dt>Placed</dt>
      <dd>{when(order.createdAt)}</dd>
    </dl>
  );
}

function Lines({ order }: { order: Order }) {
  return (
    <>
      <ul class="rows">
        {order.items.map((line) => (
          <li key={line.sku}>
            {line.quantity} × {line.name} <span class="muted">({line.sku})</span> at {money(line.unitPrice)} ={' '}
            <strong>{money(line.lineTotal)}</strong>
          </li>
        ))}
      </ul>
      <dl class="facts money">
        <dt>Subtotal</dt>
        <dd>{money(order.subtotal)}</dd>
        <dt>Shipping</dt>
        <dd>{money(order.shipping)}</dd>
        <dt>Tax</dt>
        <dd>{money(order.tax)}</dd>
        <dt>Total</dt>
        <dd>
          <strong>{money(order.total)}</strong>
        </dd>
        <dt>Refunded</dt>
        <dd>{money(order.refunded)}</dd>
      </dl>
    </>
  );
}

function Timeline({ order }: { order: Order }) {
  return (
    <ol class="timeline">
      {order.timeline.map((entry, i) => (
        <li key={`${entry.at}-${i}`}>
          <Status value={entry.status} /> <span class="muted">{when(entry.at)}</span>
          {entry.note && <> — {entry.note}</>}
        </li>
      ))}
    </ol>
  );
}

function Shipments({ order }: { order: Order }) {
  if (!order.shipments.length) return <p class="muted">Not shipped yet.</p>;
  return (
    <ul class="rows">
      {order.shipments.map((shipment) => (
        <li key={shipment.shipmentId}>
          {shipment.carrier} {shipment.service} · {shipment.status && <Status value={shipment.status} />}{' '}
          {shipment.trackingUrl ? (
            <a href={shipment.trackingUrl} rel="noreferrer" target="_blank">
              Track {shipment.trackingNumber}
            </a>
          ) : (
            shipment.trackingNumber
          )}
          {shipment.events?.length ? (
            <ol class="timeline">
              {shipment.events.map((event) => (
                <li key={`${event.status}-${event.occurredAt}`}>
                  {event.status.replace(/_/g, ' ')} <span class="muted">{when(event.occurredAt)}</span>
                </li>
              ))}
            </ol>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function Returns({ order }: { order: Order }) {
  if (!order.returns.length) return <p class="muted">No returns.</p>;
  return (
    <ul class="rows">
      {order.returns.map((item) => (
        <li key={item.returnId}>
          RMA {item.rmaNumber} <Status value={item.status} />{' '}
          <span class="muted">
            {item.items.map((line) => `${line.quantity} × ${line.sku}`).join(', ')}
            {item.refund && ` · refund ${money(item.refund)}`} · {when(item.createdAt)}
          </span>
        </li>
      ))}
    </ul>
  );
}

function Inquiries({ orderId }: { orderId: string }) {
  const [state, setState] = useState<{ items?: Inquiry[]; error?: unknown; tick: number }>({ tick: 0 });
  useEffect(() => {
    const controller = new AbortController();
    orderInquiries(orderId, controller.signal).then(
      (items) => setState((previous) => ({ ...previous, items, error: undefined })),
      (error: unknown) => {
        if (!controller.signal.aborted) setState((previous) => ({ ...previous, error }));
      },
    );
    return () => controller.abort();
  }, [orderId, state.tick]);
  const reload = () => setState((previous) => ({ ...previous, tick: previous.tick + 1 }));
  if (state.error !== undefined) return <Problem error={state.error} needs="ops" />;
  if (!state.items) return <Loading what="inquiries" />;
  if (!state.items.length) return <p class="muted">No inquiries.</p>;
  return (
    <>
      {state.items.map((inquiry) => (
        <InquiryCard key={inquiry.inquiryId} inquiry={inquiry} onReplied={() => window.setTimeout(reload, 1500)} />
      ))}
    </>
  );
}

const OUTCOME_WORDS: Record<PathStep['outcome'], string> = {
  running: 'in progress',
  succeeded: 'done',
  caught: 'error caught',
  failed: 'failed',
  aborted: 'stopped',
  'timed-out': 'timed out',
};

function PathList({ path }: { path: ExecutionPath }) {
  return (
    <ol class="path">
      {path.steps.map((step, i) => (
        <li key={`${step.state}-${i}`} class={`step step-${step.outcome}`}>
          {step.redriven && <span class="tag">redriven</span>}
          <strong class="state-name">{step.state}</strong> <span class="muted">{step.type}</span>{' '}
          <span class="tag">{OUTCOME_WORDS[step.outcome]}</span>
          {step.attempts > 1 && <span class="tag">retried ×{step.attempts - 1}</span>}
          {step.errors.map((error, j) => (
            <p key={`${error.error}-${j}`} class="error-detail">
              {error.error}
              {error.cause && `: ${error.cause.slice(0, 300)}`}
            </p>
          ))}
        </li>
      ))}
    </ol>
  );
}

function Graph({ path }: { path: ExecutionPath }) {
  const visited = new Set(path.steps.map((step) => step.state));
  const taken = takenTransitions(path);
  return (
    <ol class="graph" aria-label="The order workflow's states; the ones this order went through are marked taken">
      {graph.map((node) => (
        <li key={node.name} class={visited.has(node.name) ? 'visited' : undefined}>
          <strong class="state-name">{node.name}</strong> <span class="muted">{node.type}</span>
          {visited.has(node.name) && <span class="tag">taken</span>}
          {node.end && <span class="muted"> · end</span>}
          {node.transitions.length > 0 && (
            <ul class="edges">
              {node.transitions.map((transition, i) => {
                const isTaken = taken.has(`${node.name}→${transition.to}`);
                return (
                  <li key={`${transition.to}-${i}`} class={isTaken ? 'taken' : undefined}>
                    {transition.kind === 'catch'
                      ? `on ${transition.errors?.join(' | ')} → `
                      : transition.kind === 'next'
                        ? '→ '
                        : `${transition.kind} → `}
                    {transition.to}
                    {isTaken && ' (taken)'}
                  </li>
                );
              })}
            </ul>
          )}
        </li>
      ))}
    </ol>
  );
}

function ExecutionView({ execution, error }: { execution?: Execution; error?: unknown }) {
  if (error instanceof ApiError && error.status === 404 && !error.notAvailable) return <p class="muted">This order has no workflow run.</p>;
  if (error !== undefined) return <Problem error={error} needs="ops" />;
  if (!execution) return <Loading what="the workflow run" />;
  const path = executionPath(execution.events);
  return (
    <>
      <p>
        <Status value={execution.status} /> <span class="muted">started {when(execution.startDate)}</span>
        {execution.stopDate && <span class="muted">, stopped {when(execution.stopDate)}</span>}
        {path.redrives > 0 && <span class="muted"> · redriven {path.redrives}×</span>}
      </p>
      {path.end?.error && (
        <p class="notice notice-error">
          {path.end.error}
          {path.end.cause && `: ${path.end.cause.slice(0, 500)}`}
        </p>
      )}
      <div class="split">
        <div>
          <h3>Path taken</h3>
          <PathList path={path} />
        </div>
        <div>
          <h3>Workflow graph</h3>
          <Graph path={path} />
        </div>
      </div>
    </>
  );
}

export function OrderScreen({ orderId }: { orderId: string }) {
  const id = encodeURIComponent(orderId);
  const [live, setLive] = useState(true);
  const order = useApi<Order>(`/orders/${id}`, live ? POLL_MS : undefined);
  const execution = useApi<Execution>(`/ops/orders/${id}/execution`, live ? POLL_MS : undefined);
  const status = order.data?.status;
  const executionStatus = execution.data?.status;
  useEffect(() => {
    // Nothing moves once the order is final and its run has stopped: stop polling.
    setLive(!(status && FINAL.has(status) && executionStatus && executionStatus !== 'RUNNING'));
  }, [status, executionStatus]);
  const changed = () => {
    order.reload();
    execution.reload();
    setLive(true);
  };

  if (!order.data) {
    return (
      <Section title={`Order ${orderId}`} id="order">
        {order.error !== undefined ? <Problem error={order.error} needs="ops" /> : <Loading what="the order" />}
      </Section>
    );
  }
  const data = order.data;
  return (
    <>
      <Section title={`Order ${orderId}`} id="order">
        <Summary order={data} />
        <Actions order={data} execution={execution.data} changed={changed} />
      </Section>
      <Section title="Workflow execution">
        <ExecutionView execution={execution.data} error={execution.data ? undefined : execution.error} />
      </Section>
      <Section title="Timeline">
        <Timeline order={data} />
      </Section>
      <Section title="Lines and money">
        <Lines order={data} />
      </Section>
      <Section title="Shipments">
        <Shipments order={data} />
      </Section>
      <Section title="Returns">
        <Returns order={data} />
      </Section>
      <Section title="Inquiries">
        <Inquiries orderId={orderId} />
      </Section>
    </>
  );
}
