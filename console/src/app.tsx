import { useEffect, useRef, useState } from 'preact/hooks';
import { forgetKey, saveKey, storedKey } from './api';
import { AttentionScreen } from './attention';
import { OrderScreen } from './order';
import { OrdersScreen } from './orders';
import { href, type Route, useRoute } from './router';
import { TaskScreen, WarehouseScreen } from './warehouse';

const SCREENS: { key: Route['screen'][]; label: string; to: string }[] = [
  { key: ['orders', 'order'], label: 'Orders', to: href.orders },
  { key: ['attention'], label: 'Attention', to: href.attention },
  { key: ['warehouse', 'task'], label: 'Warehouse', to: href.warehouse },
];

const TITLES: Record<Route['screen'], string> = {
  orders: 'Orders',
  order: 'Order',
  attention: 'Needs attention',
  warehouse: 'Warehouse',
  task: 'Pick and pack',
};

function KeyForm({ onSaved }: { onSaved: () => void }) {
  const [key, setKey] = useState('');
  return (
    <form
      class="card stack"
      onSubmit={(event) => {
        event.preventDefault();
        if (!key.trim()) return;
        saveKey(key);
        onSaved();
      }}
    >
      <h2>Sign in with an API key</h2>
      <p>
        Use an <strong>ops</strong> key for orders and the attention queues, a <strong>warehouse</strong> key for picking and packing. The
        key stays in this tab only (session storage) and is sent to the API alone.
      </p>
      <label>
        API key
        <input
          type="password"
          name="apiKey"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          autocomplete="off"
          required
        />
      </label>
      <button type="submit" class="primary">
        Use this key
      </button>
    </form>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.screen) {
    case 'order':
      return <OrderScreen key={route.orderId} orderId={route.orderId} />;
    case 'attention':
      return <AttentionScreen />;
    case 'warehouse':
      return <WarehouseScreen />;
    case 'task':
      return <TaskScreen key={route.taskId} taskId={route.taskId} />;
    default:
      return <OrdersScreen />;
  }
}

export function App() {
  const route = useRoute();
  const [hasKey, setHasKey] = useState(() => Boolean(storedKey()));
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);

  useEffect(() => {
    document.title = `${TITLES[route.screen]} · Conveyor console`;
    // After a navigation, focus goes to the new screen's heading, as a page load would put it at the top.
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [route]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Conveyor</span>
        <nav aria-label="Screens">
          <ul>
            {SCREENS.map((screen) => (
              <li key={screen.label}>
                <a href={screen.to} aria-current={screen.key.includes(route.screen) ? 'page' : undefined}>
                  {screen.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {hasKey && (
          <button
            type="button"
            class="link"
            onClick={() => {
              forgetKey();
              setHasKey(false);
            }}
          >
            Change key
          </button>
        )}
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {TITLES[route.screen]}
        </h1>
        {hasKey ? <Screen route={route} /> : <KeyForm onSaved={() => setHasKey(true)} />}
      </main>
    </>
  );
}
