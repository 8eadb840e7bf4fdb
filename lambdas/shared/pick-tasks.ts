import { DynamoPickTaskRepository } from '../adapters/pick-task-repository.js';
import { requireEnv } from './config.js';

export const pickTasks = new DynamoPickTaskRepository(requireEnv('TABLE_NAME'));
