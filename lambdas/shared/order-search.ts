import { DynamoOrderSearch } from '../adapters/order-search.js';
import { requireEnv } from './config.js';

export const orderSearch = new DynamoOrderSearch(requireEnv('TABLE_NAME'));
