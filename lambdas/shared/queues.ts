import { SqsQueueAdmin } from '../adapters/sqs-queue-admin.js';
import { requireEnv } from './config.js';

export const queueAdmin = new SqsQueueAdmin({
  'carrier-events': { url: requireEnv('CARRIER_EVENTS_QUEUE_URL'), dlqUrl: requireEnv('CARRIER_EVENTS_DLQ_URL') },
  'return-events': { url: requireEnv('RETURN_EVENTS_QUEUE_URL'), dlqUrl: requireEnv('RETURN_EVENTS_DLQ_URL') },
  'stream-failures': { dlqUrl: requireEnv('STREAM_FAILURES_QUEUE_URL') },
});
