import { DynamoCatalogRepository } from '../adapters/catalog-repository.js';
import { requireEnv } from './config.js';

export const catalog = new DynamoCatalogRepository(requireEnv('TABLE_NAME'));
