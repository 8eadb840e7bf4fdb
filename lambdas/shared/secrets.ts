import { SecretsManagerStore } from '../adapters/secrets-manager-store.js';
import type { SecretStore } from '../domain/secrets.js';

/**
 * The function's secrets: Secrets Manager through Powertools Parameters, cached for 5 minutes per container
 * (POWERTOOLS_PARAMETERS_MAX_AGE overrides it). Functions name their secrets by the ARN in their environment
 * (CARRIER_WEBHOOK_SECRET_ARN, STRIPE_API_KEY_SECRET_ARN, CARRIER_API_KEY_SECRET_ARN); the client is made on first use.
 */
let store: SecretStore | undefined;

export function secrets(): SecretStore {
  store ??= new SecretsManagerStore();
  return store;
}
