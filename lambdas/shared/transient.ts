/** Error names AWS services use for throttling and brief unavailability (the SDKs retry these too). */
const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'TransactionInProgressException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
]);

interface SdkError {
  name?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Whether an error from an AWS SDK call is transient: a throttle, a 5xx, a service fault or a dropped
 * connection, as opposed to a refusal (a failed condition, a validation error) that a retry would repeat.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const sdk = error as SdkError;
  if (sdk.name && TRANSIENT_NAMES.has(sdk.name)) return true;
  if (sdk.$retryable || sdk.$fault === 'server') return true;
  if ((sdk.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return sdk.code === 'ECONNRESET' || sdk.code === 'ECONNREFUSED' || sdk.code === 'EPIPE' || sdk.code === 'ETIMEDOUT';
}
