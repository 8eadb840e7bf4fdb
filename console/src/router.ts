import { useEffect, useState } from 'preact/hooks';

/** Screens live in the URL's fragment (#/orders/ord_1): any static host serves the console, and deep links work. */
export type Route =
  | { screen: 'orders' }
  | { screen: 'order'; orderId: string }
  | { screen: 'attention' }
  | { screen: 'warehouse' }
  | { screen: 'task'; taskId: string };

export function parseRoute(hash: string): Route {
  const [first, second] = hash
    .replace(/^#\/?/, '')
    .split('/')
    .map((part) => decodeURIComponent(part));
  if (first === 'orders' && second) return { screen: 'order', orderId: second };
  if (first === 'attention') return { screen: 'attention' };
  if (first === 'warehouse' && second) return { screen: 'task', taskId: second };
  if (first === 'warehouse') return { screen: 'warehouse' };
  return { screen: 'orders' };
}

export const href = {
  orders: '#/orders',
  order: (orderId: string) => `#/orders/${encodeURIComponent(orderId)}`,
  attention: '#/attention',
  warehouse: '#/warehouse',
  task: (taskId: string) => `#/warehouse/${encodeURIComponent(taskId)}`,
};

export const navigate = (to: string): void => {
  window.location.hash = to;
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
