import * as z from 'zod';

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

export const Health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
