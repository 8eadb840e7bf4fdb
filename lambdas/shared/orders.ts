import { DynamoOrderRepository } from '../adapters/order-repository.js';
import { requireEnv } from './config.js';

export const orders = new DynamoOrderRepository(requireEnv('TABLE_NAME'));
