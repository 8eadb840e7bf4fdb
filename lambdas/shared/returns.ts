import { DynamoReturnRepository } from '../adapters/return-repository.js';
import { requireEnv } from './config.js';

export const returns = new DynamoReturnRepository(requireEnv('TABLE_NAME'));
