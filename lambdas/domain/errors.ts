/**
 * Conveyor's errors, one class per case. Every class sets `name` as a string literal (minified
 * bundles rename classes, and Step Functions matches Retry/Catch on the name) and takes `{ cause }`.
 *
 * Errors a caller of the HTTP API can see carry an HTTP-neutral `code`; lambdas/shared/http.ts maps
 * codes to status codes in one table. Workflow errors are caught by the order workflow by name.
 */
export type ErrorCode =
  | 'MALFORMED_JSON'
  | 'MALFORMED_REQUEST'
  | 'HEADERS_TOO_LARGE'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INSUFFICIENT_STOCK'
  | 'UNKNOWN_SKU'
  | 'BARCODE_IN_USE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'NOT_ON_HOLD'
  | 'INVALID_BARCODE'
  | 'BARCODE_MISMATCH'
  | 'ALREADY_PICKED'
  | 'PICK_INCOMPLETE'
  | 'TASK_NOT_OPEN'
  | 'NOT_REDRIVABLE'
  | 'NOT_CANCELLABLE'
  | 'RETURN_NOT_ALLOWED'
  | 'RETURN_EXCEEDS_DELIVERED'
  | 'INQUIRY_CLOSED'
  | 'EMAIL_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL';

export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ConveyorErrorOptions extends ErrorOptions {
  details?: ErrorDetail[];
}

/** An error the API answers with its envelope: `{ error: { code, message, details, requestId } }`. */
export abstract class ConveyorError extends Error {
  abstract readonly code: ErrorCode;
  readonly details: ErrorDetail[];

  constructor(message: string, options: ConveyorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? [];
  }
}

export class MalformedJson extends ConveyorError {
  override readonly name = 'MalformedJson';
  readonly code = 'MALFORMED_JSON';
}

/** The request cannot be read at all: its path has malformed percent-encoding, or its request line or headers are garbled. */
export class MalformedRequest extends ConveyorError {
  override readonly name = 'MalformedRequest';
  readonly code = 'MALFORMED_REQUEST';
}

/** The request's headers are larger than the server reads. */
export class HeadersTooLarge extends ConveyorError {
  override readonly name = 'HeadersTooLarge';
  readonly code = 'HEADERS_TOO_LARGE';
}

/** No route has this path, whatever the method. */
export class RouteNotFound extends ConveyorError {
  override readonly name = 'RouteNotFound';
  readonly code = 'ROUTE_NOT_FOUND';
}

/** The path is a route, but not for this method; `allowed` lists the methods that are. */
export class MethodNotAllowed extends ConveyorError {
  override readonly name = 'MethodNotAllowed';
  readonly code = 'METHOD_NOT_ALLOWED';

  constructor(
    readonly allowed: readonly string[],
    message: string,
    options?: ConveyorErrorOptions,
  ) {
    super(message, options);
  }
}

export class UnsupportedMediaType extends ConveyorError {
  override readonly name = 'UnsupportedMediaType';
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}

export class PayloadTooLarge extends ConveyorError {
  override readonly name = 'PayloadTooLarge';
  readonly code = 'PAYLOAD_TOO_LARGE';
}

export class ValidationFailed extends ConveyorError {
  override readonly name = 'ValidationFailed';
  readonly code = 'VALIDATION_FAILED';
}

export class Unauthenticated extends ConveyorError {
  override readonly name = 'Unauthenticated';
  readonly code = 'UNAUTHENTICATED';
}

export class Forbidden extends ConveyorError {
  override readonly name = 'Forbidden';
  readonly code = 'FORBIDDEN';
}

export class NotFound extends ConveyorError {
  override readonly name = 'NotFound';
  readonly code = 'NOT_FOUND';

  /** `what` names the missing thing: "Order ord_1" → "Order ord_1 was not found." */
  static of(what: string, options?: ConveyorErrorOptions): NotFound {
    return new NotFound(`${what} was not found.`, options);
  }
}

export class InsufficientStock extends ConveyorError {
  override readonly name = 'InsufficientStock';
  readonly code = 'INSUFFICIENT_STOCK';

  constructor(
    readonly sku: string,
    readonly requested: number,
    readonly available: number,
    options?: ConveyorErrorOptions,
  ) {
    super(`SKU ${sku} has ${available} available; cannot take ${requested} away.`, options);
  }
}

export class UnknownSku extends ConveyorError {
  override readonly name = 'UnknownSku';
  readonly code = 'UNKNOWN_SKU';
}

/** A barcode (compared as GTIN-14) belongs to one SKU; `owner` is the SKU that has it. */
export class BarcodeInUse extends ConveyorError {
  override readonly name = 'BarcodeInUse';
  readonly code = 'BARCODE_IN_USE';

  constructor(
    readonly barcode: string,
    readonly owner: string,
    options?: ConveyorErrorOptions,
  ) {
    super(`Barcode ${barcode} belongs to SKU ${owner}; give this product its own barcode.`, {
      details: [{ path: 'body.barcode', message: `already used by SKU ${owner}` }],
      ...options,
    });
  }
}

export class IdempotencyKeyReused extends ConveyorError {
  override readonly name = 'IdempotencyKeyReused';
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
}

export class NotOnHold extends ConveyorError {
  override readonly name = 'NotOnHold';
  readonly code = 'NOT_ON_HOLD';
}

export class InvalidBarcode extends ConveyorError {
  override readonly name = 'InvalidBarcode';
  readonly code = 'INVALID_BARCODE';
}

export class BarcodeMismatch extends ConveyorError {
  override readonly name = 'BarcodeMismatch';
  readonly code = 'BARCODE_MISMATCH';
}

export class AlreadyPicked extends ConveyorError {
  override readonly name = 'AlreadyPicked';
  readonly code = 'ALREADY_PICKED';
}

export class PickIncomplete extends ConveyorError {
  override readonly name = 'PickIncomplete';
  readonly code = 'PICK_INCOMPLETE';
}

export class TaskNotOpen extends ConveyorError {
  override readonly name = 'TaskNotOpen';
  readonly code = 'TASK_NOT_OPEN';
}

export class NotRedrivable extends ConveyorError {
  override readonly name = 'NotRedrivable';
  readonly code = 'NOT_REDRIVABLE';
}

/** Anything unexpected: the API answers 500 with the request id only, and logs the cause. */
/** The order has shipped or ended: it can no longer be cancelled. */
export class NotCancellable extends ConveyorError {
  override readonly name = 'NotCancellable';
  readonly code = 'NOT_CANCELLABLE';
}

/** Only a DELIVERED order can be returned. */
export class ReturnNotAllowed extends ConveyorError {
  override readonly name = 'ReturnNotAllowed';
  readonly code = 'RETURN_NOT_ALLOWED';
}

/** A return asks for more units of a line than were delivered and not yet returned. */
export class ReturnExceedsDelivered extends ConveyorError {
  override readonly name = 'ReturnExceedsDelivered';
  readonly code = 'RETURN_EXCEEDS_DELIVERED';
}

/** A return kept losing its order's conditional write to concurrent ones; not the caller's fault (500, retry). */
export class ReturnContended extends Error {
  override readonly name = 'ReturnContended';
}

/** The inquiry was closed; a reply needs an open one. */
export class InquiryClosed extends ConveyorError {
  override readonly name = 'InquiryClosed';
  readonly code = 'INQUIRY_CLOSED';
}

/** An email could not be sent (SES refused or was unreachable); nothing was changed, so the request can be retried. */
export class EmailFailed extends ConveyorError {
  override readonly name = 'EmailFailed';
  readonly code = 'EMAIL_FAILED';
}

export class InternalError extends ConveyorError {
  override readonly name = 'InternalError';
  readonly code = 'INTERNAL';
}

/** A function is deployed without a setting it needs (an environment variable, a known adapter name). */
export class MisconfiguredFunction extends Error {
  override readonly name = 'MisconfiguredFunction';
}

/** A stream record a consumer cannot use (no sequence number, an image that is not an order's); retried, then set aside. */
export class MalformedStreamRecord extends Error {
  override readonly name = 'MalformedStreamRecord';
}

/** Errors the order workflow's functions throw; the state machine retries and catches them by name. */
export abstract class WorkflowError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The order the workflow runs for is not in the table; nothing can be done for it. */
export class OrderNotFound extends WorkflowError {
  override readonly name = 'OrderNotFound';

  constructor(
    readonly orderId: string,
    options?: ErrorOptions,
  ) {
    super(`Order ${orderId} does not exist.`, options);
  }
}

/** The card was declined; the workflow rejects the order with PAYMENT_DECLINED. Not retried. */
export class PaymentDeclined extends WorkflowError {
  override readonly name = 'PaymentDeclined';

  constructor(
    readonly declineCode: string,
    options?: ErrorOptions,
  ) {
    super(`Payment declined: ${declineCode}`, options);
  }
}

/** The gateway did not answer in time; the outcome is unknown, so the workflow retries with the same key, then voids. */
export class GatewayTimeout extends WorkflowError {
  override readonly name = 'GatewayTimeout';

  constructor(message = 'The payment gateway did not answer in time.', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A service the step depends on (DynamoDB, Step Functions, SQS, …) was throttled or failing even after
 * the SDK's own retries. Nothing the step meant to do is known to have failed for good: the workflow
 * retries the step, which is idempotent.
 */
export class TransientFailure extends WorkflowError {
  override readonly name = 'TransientFailure';
}

/** The gateway refused a request for a reason other than the card (a bad key, a bad request): a bug or a setup error. */
export class GatewayRefused extends WorkflowError {
  override readonly name = 'GatewayRefused';
}

/**
 * The carrier refused a request (a 4xx: a bad key, an address or parcel it cannot ship, no rate for the service).
 * Retrying the same request changes nothing until the setup or the order is fixed.
 */
export class CarrierRefused extends WorkflowError {
  override readonly name = 'CarrierRefused';
}

/** Amounts in two currencies cannot be added or compared. */
export class CurrencyMismatch extends WorkflowError {
  override readonly name = 'CurrencyMismatch';

  constructor(a: string, b: string, options?: ErrorOptions) {
    super(`Cannot combine ${a} with ${b}.`, options);
  }
}

/** The label is bought a moment before the order lists its shipment; an event for it is retried later. */
export class ShipmentNotListedYet extends WorkflowError {
  override readonly name = 'ShipmentNotListedYet';

  constructor(shipmentId: string, orderId: string, options?: ErrorOptions) {
    super(`Shipment ${shipmentId} is not on order ${orderId} yet.`, options);
  }
}

/** The customer (or ops) asked to cancel the order: the workflow leaves whatever it was doing for its cancellation path. */
export class OrderCancelled extends WorkflowError {
  override readonly name = 'OrderCancelled';
}
