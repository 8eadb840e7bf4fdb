import { DynamoCustomerProfileRepository } from '../adapters/customer-profile-repository.js';
import { requireEnv } from './config.js';

export const customers = new DynamoCustomerProfileRepository(requireEnv('TABLE_NAME'));
