import type { DemoApi } from './api.js';

/** What the demo reads of an order, from GET /orders/{orderId} or the storefront's list. */
export interface OrderView {
  orderId: string;
  status: string;
  statusReason?: string;
  createdAt: string;
  timeline: { at: string; status: string; note?: string }[];
  shipments: { trackingNumber: string; status: string }[];
  returns: { returnId: string; status: string; createdAt: string }[];
}

interface Waiter {
  done: (order: OrderView) => boolean;
  resolve: (order: OrderView) => void;
  reject: (error: Error) => void;
}

/** How often the board reads the list while anyone waits. */
const INTERVAL_MS = 250;
/** Server and demo share a clock, but an order's createdAt is taken a moment after the demo sent it. */
const CLOCK_MARGIN_MS = 10_000;

/**
 * The storefront's list of its recent orders (GET /orders, newest first), read a few times a second while
 * any order is waited for: one listing answers every waiting order at once, where polling each order
 * would cost the local cloud a request per order per poll.
 */
export class OrderBoard {
  private readonly waiting = new Map<string, Waiter[]>();
  private readonly placedAt = new Map<string, number>();
  private reading: Promise<void> | undefined;

  constructor(private readonly api: DemoApi) {}

  /** Notes when an order was placed: the board reads the list back that far while it waits for it. */
  placed(orderId: string, at: number): void {
    this.placedAt.set(orderId, at);
  }

  /** Resolves with the order as listed, once `done` holds for it. */
  until(orderId: string, done: (order: OrderView) => boolean): Promise<OrderView> {
    return new Promise((resolve, reject) => {
      this.waiting.set(orderId, [...(this.waiting.get(orderId) ?? []), { done, resolve, reject }]);
      this.reading ??= this.read().finally(() => {
        this.reading = undefined;
      });
    });
  }

  private async read(): Promise<void> {
    try {
      while (this.waiting.size > 0) {
        await this.api.pause(INTERVAL_MS);
        for (const order of await this.recentOrders()) this.settle(order);
      }
    } catch (error) {
      for (const waiters of this.waiting.values()) for (const waiter of waiters) waiter.reject(error as Error);
      this.waiting.clear();
    }
  }

  private settle(order: OrderView): void {
    const waiters = this.waiting.get(order.orderId);
    if (!waiters) return;
    const pending = waiters.filter((waiter) => !waiter.done(order));
    for (const waiter of waiters) if (!pending.includes(waiter)) waiter.resolve(order);
    if (pending.length) this.waiting.set(order.orderId, pending);
    else this.waiting.delete(order.orderId);
  }

  /** The list back to the oldest order waited for. */
  private async recentOrders(): Promise<OrderView[]> {
    const oldest = Math.min(...[...this.waiting.keys()].map((orderId) => this.placedAt.get(orderId) ?? 0)) - CLOCK_MARGIN_MS;
    const orders: OrderView[] = [];
    // A first page about as long as the orders waited for (the newest orders are most of them); full pages after it.
    const first = Math.min(100, Math.max(10, 2 * this.waiting.size));
    let cursor: string | null = null;
    do {
      const query = cursor ? `/orders?limit=100&cursor=${encodeURIComponent(cursor)}` : `/orders?limit=${first}`;
      const page: { items: OrderView[]; nextCursor: string | null } = (
        await this.api.call<{ items: OrderView[]; nextCursor: string | null }>('storefront', 'GET', query)
      ).body;
      orders.push(...page.items);
      const last = page.items.at(-1);
      cursor = last && Date.parse(last.createdAt) < oldest ? null : page.nextCursor;
    } while (cursor);
    return orders;
  }
}
