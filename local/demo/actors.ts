import { signCarrierPayload } from '../../lambdas/domain/tracking.js';
import type { Endpoints } from '../cloud.js';
import { type DemoApi, UnexpectedAnswer } from './api.js';
import { OrderBoard, type OrderView } from './order-board.js';
import { type DemoProduct, type DemoRun, demoBarcode, type OrderPlan } from './plan.js';

export type { OrderView };

export interface ReturnView {
  returnId: string;
  status: 'REQUESTED' | 'RECEIVED' | 'REFUNDED';
  createdAt: string;
  updatedAt: string;
}

interface PickTask {
  taskId: string;
  orderId: string;
  lines: { sku: string; barcode: string; quantity: number; picked: number }[];
}

/** Where an order is in its journey, for "wait until it got at least this far". */
const PROGRESS = ['PENDING', 'ON_HOLD', 'CONFIRMED', 'FULFILLING', 'PACKED', 'SHIPPED', 'DELIVERED'];
const ENDED = new Set(['DELIVERED', 'REJECTED', 'CANCELLED']);

/** True once the order reached `status` or a later one, or ended some other way (the caller tells which). */
const reached = (order: OrderView, status: string) => ENDED.has(order.status) || PROGRESS.indexOf(order.status) >= PROGRESS.indexOf(status);

/** The shop's own people: ops stock the shelves, decide on orders held for fraud review, and cancel an order now and then. */
export class Ops {
  constructor(private readonly api: DemoApi) {}

  /** Puts the run's products in the catalog and their units in stock. */
  async stock(run: DemoRun): Promise<void> {
    await Promise.all([...run.products, run.scarce].map((product) => this.addToCatalog(product)));
  }

  async review(orderId: string, decision: 'approve' | 'reject'): Promise<void> {
    const note = decision === 'approve' ? 'Demo: customer confirmed by phone.' : 'Demo: card reported stolen.';
    await this.api.call('ops', 'POST', `/ops/orders/${orderId}/review`, { body: { decision, note }, expected: [202] });
  }

  async cancel(orderId: string): Promise<void> {
    await this.api.call('ops', 'POST', `/orders/${orderId}/cancel`, {
      body: { reason: 'Demo: the address turned out to be undeliverable.' },
      expected: [202],
    });
  }

  private async addToCatalog(product: DemoProduct): Promise<void> {
    const { sku, stock, ...details } = product;
    // A barcode belongs to one SKU; the demo's are random, so a clash with another product is rare, and a new one fixes it.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.api.call('ops', 'PUT', `/products/${sku}`, { body: details });
        break;
      } catch (error) {
        if (!(error instanceof UnexpectedAnswer && error.code === 'BARCODE_IN_USE') || attempt === 3) throw error;
        details.barcode = demoBarcode();
        product.barcode = details.barcode;
      }
    }
    if (stock > 0) {
      await this.api.call('ops', 'POST', `/inventory/${sku}/adjustments`, { body: { delta: stock, reason: 'Demo: goods received' } });
    }
  }
}

/**
 * The storefront: places orders for its customers, follows them on its order list, and takes their
 * cancellations, questions and returns.
 */
export class Storefront {
  private readonly board: OrderBoard;

  constructor(private readonly api: DemoApi) {
    this.board = new OrderBoard(api);
  }

  async place(plan: OrderPlan, runId: string): Promise<string> {
    const sent = Date.now();
    const { body } = await this.api.call<{ orderId: string }>('storefront', 'POST', '/orders', {
      headers: { 'idempotency-key': `demo-${runId}-${plan.index}` },
      body: {
        customer: plan.customer,
        items: plan.items,
        shippingAddress: plan.shippingAddress,
        shippingOption: plan.shippingOption,
        payment: { token: plan.token },
      },
      expected: [202],
    });
    this.board.placed(body.orderId, sent);
    return body.orderId;
  }

  async order(orderId: string): Promise<OrderView> {
    return (await this.api.call<OrderView>('storefront', 'GET', `/orders/${orderId}`)).body;
  }

  /** Waits until the order got to `status` (or further, or ended otherwise) and returns it as it is then. */
  untilReached(orderId: string, status: string): Promise<OrderView> {
    return this.board.until(orderId, (order) => reached(order, status));
  }

  /** Waits until the order is DELIVERED, REJECTED or CANCELLED. */
  untilEnded(orderId: string): Promise<OrderView> {
    return this.board.until(orderId, (order) => ENDED.has(order.status));
  }

  untilOrder(orderId: string, done: (order: OrderView) => boolean): Promise<OrderView> {
    return this.board.until(orderId, done);
  }

  async cancel(orderId: string): Promise<void> {
    await this.api.call('storefront', 'POST', `/orders/${orderId}/cancel`, { body: { reason: 'Demo: ordered twice.' }, expected: [202] });
  }

  async askAbout(orderId: string): Promise<string> {
    const { body } = await this.api.call<{ inquiryId: string }>('storefront', 'POST', `/orders/${orderId}/inquiries`, {
      body: { subject: 'Where is my parcel?', message: 'The tracking page says in transit. When will it arrive?' },
      expected: [201],
    });
    return body.inquiryId;
  }

  async requestReturn(orderId: string, item: { sku: string; quantity: number }): Promise<string> {
    const { body } = await this.api.call<{ returnId: string }>('storefront', 'POST', `/orders/${orderId}/returns`, {
      body: { items: [{ sku: item.sku, quantity: 1 }], reason: 'Demo: does not fit.' },
      // The client retries a lost answer: the key makes the retry find the first return instead of making another.
      headers: { 'idempotency-key': `demo-return-${orderId}` },
      expected: [201],
    });
    return body.returnId;
  }

  /** Waits until the order lists the return as `status` (or further on). */
  async untilReturn(orderId: string, returnId: string, status: ReturnView['status']): Promise<void> {
    const steps: string[] = ['REQUESTED', 'RECEIVED', 'REFUNDED'];
    await this.board.until(orderId, (order) => {
      const found = order.returns.find((candidate) => candidate.returnId === returnId);
      return found !== undefined && steps.indexOf(found.status) >= steps.indexOf(status);
    });
  }
}

/**
 * The warehouse: one board of open pick tasks, read by the page for every order waiting for its task (one
 * listing serves them all), then a scan per unit and the packed parcel's weight.
 */
export class Warehouse {
  private tasks = new Map<string, PickTask>();
  private listing: Promise<void> | undefined;
  private listedAt = 0;

  constructor(
    private readonly api: DemoApi,
    private readonly weights: Map<string, number>,
  ) {}

  async pick(orderId: string): Promise<void> {
    const task = await this.taskOf(orderId);
    for (const line of task.lines) {
      for (let unit = line.picked; unit < line.quantity; unit++) {
        await this.api.call('warehouse', 'POST', `/fulfillment/tasks/${task.taskId}/scans`, { body: { barcode: line.barcode } });
      }
    }
    const goods = task.lines.reduce((sum, line) => sum + (this.weights.get(line.sku) ?? 500) * line.quantity, 0);
    await this.api.call('warehouse', 'POST', `/fulfillment/tasks/${task.taskId}/complete`, {
      body: { packageWeightGrams: goods + 180 },
      expected: [202],
    });
  }

  async returnArrived(returnId: string, eventId: string): Promise<void> {
    await this.api.call('warehouse', 'POST', `/returns/${returnId}/events`, { body: { eventId, type: 'RECEIVED' }, expected: [202] });
  }

  async returnInspected(returnId: string, eventId: string, condition: 'RESELLABLE' | 'DAMAGED'): Promise<void> {
    await this.api.call('warehouse', 'POST', `/returns/${returnId}/events`, {
      body: { eventId, type: 'INSPECTED', condition },
      expected: [202],
    });
  }

  private async taskOf(orderId: string): Promise<PickTask> {
    for (;;) {
      const task = this.tasks.get(orderId);
      if (task) {
        this.tasks.delete(orderId);
        return task;
      }
      this.listing ??= this.listOpenTasks().finally(() => {
        this.listing = undefined;
      });
      await this.listing;
    }
  }

  private async listOpenTasks(): Promise<void> {
    await this.api.pause(Math.max(0, this.listedAt + 200 - Date.now()));
    const tasks = new Map<string, PickTask>();
    let cursor: string | null = null;
    do {
      const page: { items: PickTask[]; nextCursor: string | null } = (
        await this.api.call<{ items: PickTask[]; nextCursor: string | null }>(
          'warehouse',
          'GET',
          `/fulfillment/tasks?status=OPEN&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        )
      ).body;
      for (const task of page.items) tasks.set(task.orderId, task);
      cursor = page.nextCursor;
    } while (cursor);
    this.tasks = tasks;
    this.listedAt = Date.now();
  }
}

/** The sandbox carrier: signed tracking events through the public webhook, as local/carrier-cli.ts sends them. */
export class Carrier {
  private sent = 0;

  constructor(
    private readonly api: DemoApi,
    private readonly endpoints: Endpoints,
    private readonly runId: string,
  ) {}

  async report(trackingNumber: string, status: string): Promise<void> {
    const raw = JSON.stringify({
      eventId: `demo-${this.runId}-evt-${++this.sent}`,
      trackingNumber,
      status,
      occurredAt: new Date().toISOString(),
    });
    await this.api.call('carrier', 'POST', '/carrier/events', {
      rawBody: raw,
      headers: { 'x-conveyor-signature': signCarrierPayload(raw, this.endpoints.carrierSecret) },
      expected: [202],
    });
  }
}
