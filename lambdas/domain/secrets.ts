/**
 * The secrets port: API keys and signing secrets by name, never in the template or a function's environment
 * (a function's environment names the secret, not its value). Adapters cache values for a short while, so a
 * rotated secret takes effect within minutes without a deploy.
 */
export interface SecretStore {
  /** The secret's current value; throws MisconfiguredFunction when it does not exist. */
  get(name: string): Promise<string>;
  /**
   * The values a signature may be made with while a secret rotates: the current one first, then the previous one
   * (when the store keeps one), so signed requests keep working across a rotation.
   */
  accepted(name: string): Promise<string[]>;
}

/**
 * What a secret the deployer fills in (the Stripe or EasyPost API key) holds until they do: the stack creates it with
 * this text, and the store refuses it with the command that fills it in, instead of sending it to the provider.
 */
export const UNSET_SECRET_VALUE = 'UNSET: put the real value with aws secretsmanager put-secret-value';
