import { EasyPostCarrier } from '../adapters/easypost-carrier.js';
import { DynamoLabelPurchaseRecords } from '../adapters/label-purchase-records.js';
import { SandboxCarrier } from '../adapters/sandbox-carrier.js';
import { MisconfiguredFunction } from '../domain/errors.js';
import type { SecretStore } from '../domain/secrets.js';
import type { Carrier } from '../domain/shipping.js';
import { requireEnv } from './config.js';
import { secrets } from './secrets.js';

/**
 * A Carrier that builds EasyPost on first use: the API key is read from the SecretStore (by the secret's name in
 * CARRIER_API_KEY_SECRET_ARN) when a label is first quoted or bought, not at import, so a cold start costs no
 * secret read and a missing secret fails the step (MisconfiguredFunction) rather than the function's init.
 */
class LazyEasyPostCarrier implements Carrier {
  private adapter: Promise<EasyPostCarrier> | undefined;

  constructor(private readonly secrets: SecretStore) {}

  private easyPost(): Promise<EasyPostCarrier> {
    this.adapter ??= this.build().catch((error: unknown) => {
      this.adapter = undefined; // the next attempt asks again
      throw error;
    });
    return this.adapter;
  }

  private async build(): Promise<EasyPostCarrier> {
    const apiKey = await this.secrets.get(requireEnv('CARRIER_API_KEY_SECRET_ARN'));
    return new EasyPostCarrier({
      apiKey,
      // The shop's address, created once in EasyPost (POST /v2/addresses) and named by its id.
      fromAddress: { id: requireEnv('CARRIER_FROM_ADDRESS_ID') },
      records: new DynamoLabelPurchaseRecords(requireEnv('TABLE_NAME')),
      baseUrl: process.env.EASYPOST_API_BASE,
    });
  }

  async quote(request: Parameters<Carrier['quote']>[0]) {
    return (await this.easyPost()).quote(request);
  }

  async buyLabel(request: Parameters<Carrier['buyLabel']>[0]) {
    return (await this.easyPost()).buyLabel(request);
  }
}

/** The carrier adapter the stack is configured with (CARRIER): `sandbox` (default) or `easypost`. */
export function carrierFrom(secrets: SecretStore, name = process.env.CARRIER ?? 'sandbox'): Carrier {
  if (name === 'sandbox') return new SandboxCarrier();
  if (name === 'easypost') return new LazyEasyPostCarrier(secrets);
  throw new MisconfiguredFunction(`Unknown CARRIER ${name}: use sandbox or easypost.`);
}

let configured: Carrier | undefined;

/** The function's carrier, built once per container. */
export function carrier(): Carrier {
  configured ??= carrierFrom(secrets());
  return configured;
}
