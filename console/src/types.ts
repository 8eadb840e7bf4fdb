/** The API's shapes as the console reads them (docs/openapi.json is the full contract). */

export interface Money {
  amount: number;
  currency: string;
}

export interface Shipment {
  shipmentId: string;
  carrier?: string;
  service?: string;
  trackingNumber?: string;
  trackingUrl?: string;
  status?: string;
  events?: { status: string; occurredAt: string }[];
}

export interface Order {
  orderId: string;
  status: string;
  statusReason?: string;
  customer: { id: string; email: string; name: string };
  items: { sku: string; name: string; quantity: number; unitPrice: Money; lineTotal: Money }[];
  subtotal: Money;
  shipping: Money;
  tax: Money;
  total: Money;
  shippingOption: string;
  shippingAddress: { name: string; line1: string; line2?: string; city: string; postalCode: string; country: string };
  shipments: Shipment[];
  timeline: { at: string; status: string; note?: string }[];
  returns: {
    returnId: string;
    rmaNumber: string;
    status: string;
    items: { sku: string; quantity: number }[];
    refund?: Money;
    createdAt: string;
  }[];
  refunded: Money;
  fraud?: { score: number; reasons: string[] };
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Execution {
  executionArn: string;
  status: string;
  startDate: string;
  stopDate?: string;
  events: ExecutionEvent[];
}

export interface ExecutionEvent {
  id: number;
  type: string;
  stateName?: string;
  timestamp: string;
  error?: string;
  cause?: string;
}

/** GET /ops/executions items. */
export interface ExecutionSummary {
  orderId: string;
  executionArn: string;
  status: string;
  startDate: string;
  stopDate?: string;
}

export interface PickTask {
  taskId: string;
  orderId: string;
  status: string;
  overdue?: boolean;
  lines: { sku: string; name: string; barcode: string; quantity: number; picked: number }[];
  createdAt: string;
}

export interface Inquiry {
  inquiryId: string;
  orderId: string;
  customer: { email: string; name: string };
  subject: string;
  message: string;
  status: string;
  replies: { at: string; message: string; by: string }[];
  createdAt: string;
}

/** GET /ops/queues items. */
export interface QueueDepth {
  name: string;
  messages: number;
  inFlight: number;
  deadLetters: number;
  redrivable: boolean;
}

export const ORDER_STATUSES = [
  'PENDING',
  'ON_HOLD',
  'CONFIRMED',
  'FULFILLING',
  'PACKED',
  'SHIPPED',
  'DELIVERED',
  'REJECTED',
  'CANCELLED',
] as const;

export const CANCELLABLE = new Set(['PENDING', 'ON_HOLD', 'CONFIRMED', 'FULFILLING', 'PACKED']);
export const REDRIVABLE = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
