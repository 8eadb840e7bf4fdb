import { useState } from 'preact/hooks';
import { ApiError, call, query } from './api';
import { Loading, money, Problem, Section, Status, when } from './components';
import { useApi } from './hooks';
import { href, navigate } from './router';
import { type ExecutionSummary, ORDER_STATUSES, type Order, type Page } from './types';

const POLL_MS = 5000;

interface Search {
  customerId: string;
  status: string;
  storefrontId: string;
}

/** GET /ops/orders (across storefronts); without it, GET /orders for the one storefront named. */
async function searchOrders(search: Search): Promise<Page<Order>> {
  const filters = { customerId: search.customerId, status: search.status, storefrontId: search.storefrontId, limit: 50 };
  try {
    return await call<Page<Order>>('GET', `/ops/orders${query(filters)}`);
  } catch (error) {
    if (!(error instanceof ApiError && error.notAvailable && search.storefrontId)) throw error;
    return call<Page<Order>>('GET', `/orders${query(filters)}`);
  }
}

export function OrderList({ orders }: { orders: Order[] }) {
  if (!orders.length) return <p class="muted">No orders match.</p>;
  return (
    <ul class="rows">
      {orders.map((order) => (
        <li key={order.orderId}>
          <a href={href.order(order.orderId)}>{order.orderId}</a> <Status value={order.status} />
          <span class="muted">
            {' '}
            {order.customer.name} · {money(order.total)} · {when(order.createdAt)}
          </span>
        </li>
      ))}
    </ul>
  );
}

function SearchForm() {
  const [orderId, setOrderId] = useState('');
  const [search, setSearch] = useState<Search>({ customerId: '', status: '', storefrontId: '' });
  const [result, setResult] = useState<{ orders?: Order[]; error?: unknown; busy?: boolean }>({});
  const set = (field: keyof Search) => (event: Event) => setSearch({ ...search, [field]: (event.target as HTMLInputElement).value });

  const submit = async (event: Event) => {
    event.preventDefault();
    if (orderId.trim()) return navigate(href.order(orderId.trim()));
    setResult({ busy: true });
    try {
      setResult({ orders: (await searchOrders(search)).items });
    } catch (error) {
      setResult({ error });
    }
  };

  return (
    <Section title="Find orders">
      <form class="stack" onSubmit={submit}>
        <label>
          Order id
          <input name="orderId" value={orderId} onInput={(e) => setOrderId((e.target as HTMLInputElement).value)} autocomplete="off" />
        </label>
        <p class="muted">…or search by</p>
        <div class="fields">
          <label>
            Customer id
            <input name="customerId" value={search.customerId} onInput={set('customerId')} autocomplete="off" />
          </label>
          <label>
            Status
            <select name="status" value={search.status} onChange={set('status')}>
              <option value="">Any</option>
              {ORDER_STATUSES.map((status) => (
                <option key={status} value={status}>
                  {status.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </label>
          <label>
            Storefront id
            <input name="storefrontId" value={search.storefrontId} onInput={set('storefrontId')} autocomplete="off" />
          </label>
        </div>
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      <div aria-live="polite">
        {result.busy && <Loading what="orders" />}
        {result.error !== undefined && <Problem error={result.error} needs="ops" />}
        {result.orders && <OrderList orders={result.orders} />}
      </div>
    </Section>
  );
}

/** Orders whose workflow is running now, polled. */
function InFlight() {
  const running = useApi<Page<ExecutionSummary>>(`/ops/executions${query({ status: 'RUNNING', limit: 25 })}`, POLL_MS);
  return (
    <Section title="In flight">
      <p class="muted">Orders whose workflow is running, newest first; refreshed every {POLL_MS / 1000} s.</p>
      {running.error !== undefined && <Problem error={running.error} needs="ops" />}
      {!running.data && running.loading && <Loading what="running workflows" />}
      {running.data &&
        (running.data.items.length ? (
          <ul class="rows">
            {running.data.items.map((execution) => (
              <li key={execution.executionArn}>
                <a href={href.order(execution.orderId)}>{execution.orderId}</a>{' '}
                <span class="muted">started {when(execution.startDate)}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">Nothing in flight.</p>
        ))}
    </Section>
  );
}

export function OrdersScreen() {
  return (
    <>
      <SearchForm />
      <InFlight />
    </>
  );
}
