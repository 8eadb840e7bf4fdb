import { DynamoInquiryRepository } from '../adapters/inquiry-repository.js';
import { requireEnv } from './config.js';

export const inquiries = new DynamoInquiryRepository(requireEnv('TABLE_NAME'));
