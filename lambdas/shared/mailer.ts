import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesMailer } from '../adapters/ses-mailer.js';
import { requireEnv } from './config.js';

// Built once per module; the endpoint comes from AWS_ENDPOINT_URL_SESV2.
export const mailer = new SesMailer(new SESv2Client({}), requireEnv('SENDER_EMAIL'), process.env.SES_CONFIGURATION_SET || undefined);
