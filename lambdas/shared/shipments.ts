import { DynamoShipmentRepository } from '../adapters/shipment-repository.js';
import { requireEnv } from './config.js';

export const shipments = new DynamoShipmentRepository(requireEnv('TABLE_NAME'));
