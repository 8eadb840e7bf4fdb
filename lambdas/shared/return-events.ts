import { SqsReturnEventQueue } from '../adapters/sqs-return-event-queue.js';
import { requireEnv } from './config.js';

export const returnEvents = new SqsReturnEventQueue(requireEnv('RETURN_EVENTS_QUEUE_URL'));
