import * as z from 'zod';
import { PAYMENT_GATEWAYS } from '../domain/payments.js';

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string().regex(/^[A-Z_]+$/),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
      requestId: z.string(),
    }),
  })
  .meta({ id: 'Error', description: 'Every failure has this shape; `details` lists each bad field path.' });

export const Health = z
  .object({
    status: z.literal('ok'),
    payments: z.enum(PAYMENT_GATEWAYS).meta({ description: 'The payment gateway: `sandbox` charges no card (not for real orders).' }),
  })
  .meta({ id: 'Health' });
