import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.
export const logger = new Logger();
// Metrics' own warnings go through the Logger at ERROR only: logMetrics otherwise warns "No application
// metrics to publish" on every request that counts nothing (most reads), which buries real warnings.
export const metrics = new Metrics({ logger: logger.createChild({ logLevel: 'ERROR' }) });
