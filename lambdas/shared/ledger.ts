import { S3Client } from '@aws-sdk/client-s3';
import { S3LedgerStore } from '../adapters/s3-ledger-store.js';
import { requireEnv } from './config.js';

// Built once per module; the endpoint comes from AWS_ENDPOINT_URL_S3 (path-style, as the local cloud's S3 needs).
export const ledger = new S3LedgerStore(
  new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined }),
  requireEnv('LEDGER_BUCKET'),
);
