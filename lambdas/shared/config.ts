import { MisconfiguredFunction } from '../domain/errors.js';
/** Reads a required environment variable; the function construct in lib/function.ts sets them. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new MisconfiguredFunction(`Environment variable ${name} is not set; the function's construct should set it.`);
  return value;
}
