/** Conveyor's errors carry an HTTP-neutral code; lambdas/shared/http.ts maps codes to status codes in one table. */
export type ErrorCode =
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INSUFFICIENT_STOCK'
  | 'UNKNOWN_SKU'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'NOT_ON_HOLD'
  | 'INVALID_BARCODE'
  | 'BARCODE_MISMATCH'
  | 'ALREADY_PICKED'
  | 'PICK_INCOMPLETE'
  | 'TASK_NOT_OPEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL';

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ConveyorError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ConveyorError';
  }
}

export class ValidationError extends ConveyorError {
  constructor(message: string, details: ErrorDetail[]) {
    super('VALIDATION_FAILED', message, details);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends ConveyorError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} was not found.`);
    this.name = 'NotFoundError';
  }
}
