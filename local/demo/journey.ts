import { SHIPMENT_RANK } from '../../lambdas/domain/tracking.js';
import type { Carrier, Ops, OrderView, Storefront, Warehouse } from './actors.js';
import { Stopped } from './api.js';
import type { OrderPlan } from './plan.js';

export interface Actors {
  storefront: Storefront;
  warehouse: Warehouse;
  carrier: Carrier;
  ops: Ops;
}

/** One order of the run: its plan, and what the demo did and saw of it. */
export interface Journey {
  plan: OrderPlan;
  orderId?: string;
  /** What the demo waits for now; at a deadline, what the order is stuck at. */
  step: string;
  /** Set when the demo gave up on it: a request answered what it did not expect. */
  failure?: string;
  /** Set when the run stopped (deadline, Ctrl-C) before this journey ended. */
  stopped?: boolean;
  trackingNumber?: string;
  returnId?: string;
  inquiryId?: string;
}

export interface JourneyHooks {
  placed(): void;
  settled(): void;
}

/**
 * Drives one order along its plan, as the storefront, the warehouse, the carrier and ops would. When the
 * order goes somewhere else than the plan says (an order for the scarce product finding it gone), the
 * journey ends there: the summary compares where each order ended with where its plan leads.
 */
export class OrderJourney {
  constructor(
    private readonly actors: Actors,
    private readonly runId: string,
  ) {}

  async drive(journey: Journey, hooks: JourneyHooks): Promise<void> {
    try {
      journey.step = 'the storefront to place it';
      journey.orderId = await this.actors.storefront.place(journey.plan, this.runId);
      hooks.placed();
      await this.follow(journey, journey.orderId);
    } catch (error) {
      if (error instanceof Stopped) journey.stopped = true;
      else journey.failure = (error as Error).message;
    } finally {
      hooks.settled();
    }
  }

  private async follow(journey: Journey, orderId: string): Promise<void> {
    const { storefront, ops } = this.actors;
    const { plan } = journey;
    switch (plan.path) {
      case 'declined':
        journey.step = 'the payment to be declined';
        await storefront.untilReached(orderId, 'FULFILLING');
        return;
      case 'awaiting-review':
        journey.step = 'the fraud screening to hold it';
        await storefront.untilReached(orderId, 'ON_HOLD');
        return;
      case 'held-rejected':
      case 'held-approved': {
        journey.step = 'the fraud screening to hold it';
        if ((await storefront.untilReached(orderId, 'ON_HOLD')).status !== 'ON_HOLD') return;
        journey.step = 'ops to review it';
        await ops.review(orderId, plan.path === 'held-approved' ? 'approve' : 'reject');
        if (plan.path === 'held-rejected') {
          journey.step = 'the rejection to go through';
          await storefront.untilEnded(orderId);
          return;
        }
        await this.deliver(journey, orderId);
        return;
      }
      case 'cancelled': {
        journey.step = 'payment and stock (FULFILLING)';
        if ((await storefront.untilReached(orderId, 'FULFILLING')).status !== 'FULFILLING') return;
        journey.step = 'the cancellation to go through';
        await (plan.cancelledBy === 'ops' ? ops.cancel(orderId) : storefront.cancel(orderId));
        await storefront.untilEnded(orderId);
        return;
      }
      case 'awaiting-pick':
        journey.step = 'payment and stock (FULFILLING)';
        await storefront.untilReached(orderId, 'FULFILLING');
        return;
      case 'in-transit':
        await this.ship(journey, orderId, ['PICKED_UP', 'IN_TRANSIT']);
        return;
      case 'returned':
        if ((await this.deliver(journey, orderId))?.status === 'DELIVERED') await this.giveBack(journey, orderId);
        return;
      case 'delivered':
      case 'scarce':
        await this.deliver(journey, orderId);
        return;
    }
  }

  /** Ships the order and has the carrier deliver it; the order as it ended. */
  private async deliver(journey: Journey, orderId: string): Promise<OrderView | undefined> {
    if (!(await this.ship(journey, orderId, ['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED']))) return undefined;
    journey.step = 'the DELIVERED event to be applied';
    return this.actors.storefront.untilEnded(orderId);
  }

  /** Picks, packs and hands the parcel to the carrier, which reports `events`; false when the order went elsewhere. */
  private async ship(journey: Journey, orderId: string, events: string[]): Promise<boolean> {
    const { storefront, warehouse, carrier } = this.actors;
    journey.step = 'payment and stock (FULFILLING)';
    if ((await storefront.untilReached(orderId, 'FULFILLING')).status !== 'FULFILLING') return false;
    journey.step = 'the warehouse to pick it';
    await warehouse.pick(orderId);
    journey.step = 'its label (SHIPPED)';
    const shipped = await storefront.untilReached(orderId, 'SHIPPED');
    const trackingNumber = shipped.shipments.at(-1)?.trackingNumber;
    if (shipped.status !== 'SHIPPED' || !trackingNumber) return false;
    journey.trackingNumber = trackingNumber;
    journey.step = 'the carrier';
    for (const status of events) await carrier.report(trackingNumber, status);
    if (journey.plan.path === 'in-transit') {
      journey.step = 'the IN_TRANSIT event to be applied';
      const inTransit = SHIPMENT_RANK.IN_TRANSIT as number;
      await storefront.untilOrder(orderId, (order) => (SHIPMENT_RANK[order.shipments.at(-1)?.status ?? ''] ?? 0) >= inTransit);
      if (journey.plan.inquiry) journey.inquiryId = await storefront.askAbout(orderId);
    }
    return true;
  }

  /** The customer sends the first item back; the warehouse receives and inspects it, and Conveyor refunds it. */
  private async giveBack(journey: Journey, orderId: string): Promise<void> {
    const { storefront, warehouse } = this.actors;
    journey.step = 'the return to be accepted';
    const returnId = await storefront.requestReturn(orderId, journey.plan.items[0] as { sku: string; quantity: number });
    journey.returnId = returnId;
    journey.step = 'the returned parcel to be received';
    await warehouse.returnArrived(returnId, `demo-${this.runId}-${returnId}-received`);
    await storefront.untilReturn(orderId, returnId, 'RECEIVED');
    journey.step = 'the inspection and refund';
    await warehouse.returnInspected(returnId, `demo-${this.runId}-${returnId}-inspected`, journey.plan.returnCondition ?? 'RESELLABLE');
    await storefront.untilReturn(orderId, returnId, 'REFUNDED');
  }
}

/** Runs `work` over the journeys, at most `concurrency` at a time, in plan order. */
export async function inParallel(journeys: Journey[], concurrency: number, work: (journey: Journey) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < journeys.length) await work(journeys[next++] as Journey);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, journeys.length) }, worker));
}
