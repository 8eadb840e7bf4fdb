import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SANDBOX_GATEWAY_FAULT_MESSAGE } from '../lambdas/adapters/sandbox-gateway.js';
import { LocalCloudError } from './processes.js';

/**
 * Fault injection in the local cloud: each kind is a failure AWS (or a payment gateway) produces now
 * and then, injected at a rate so the pipeline's retries, compensations and reconciler are exercised
 * on a laptop. Off unless a run asks for it (CONVEYOR_FAULTS, or startLocalCloud's `faults` option).
 */
export const FAULT_KINDS = {
  gateway: 'the sandbox payment gateway times out (GatewayTimeout), before or after it acted',
  lambda: 'an invocation fails as the Lambda service fails it (Lambda.ServiceException), before or after the handler ran',
  dynamodb: 'DynamoDB answers ProvisionedThroughputExceededException (HTTP 400) instead of doing the request',
  sqs: 'the SQS poller does not delete a processed message, so it is delivered again',
} as const;
export type FaultKind = keyof typeof FAULT_KINDS;
export type FaultRates = Partial<Record<FaultKind, number>>;

const KIND_NAMES = Object.keys(FAULT_KINDS) as FaultKind[];
const isKind = (name: string): name is FaultKind => name in FAULT_KINDS;

function parseRate(text: string, where: string): number {
  const percent = text.endsWith('%');
  const value = Number(percent ? text.slice(0, -1) : text);
  const rate = percent ? value / 100 : value;
  if (text.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new LocalCloudError(`${where}: "${text}" is not a rate; write a number from 0 to 1 (0.1) or a percentage (10%).`);
  }
  return rate;
}

/**
 * Reads `gateway=0.1,lambda=0.1,dynamodb=0.1,sqs=0.1` (rates from 0 to 1, or percentages; `all=0.05`
 * sets every kind, later entries override it). Empty or undefined means no faults.
 */
export function parseFaults(spec: string | undefined, source = 'CONVEYOR_FAULTS'): FaultRates {
  const rates: FaultRates = {};
  if (!spec?.trim()) return rates;
  for (const entry of spec.split(',').map((part) => part.trim())) {
    const [name = '', value, ...rest] = entry.split('=').map((part) => part.trim());
    if (value === undefined || rest.length) {
      throw new LocalCloudError(`${source}: "${entry}" should be kind=rate, e.g. ${source}=gateway=0.1,lambda=0.1,dynamodb=0.1,sqs=0.1.`);
    }
    const rate = parseRate(value, `${source} ${name}`);
    if (name === 'all') for (const kind of KIND_NAMES) rates[kind] = rate;
    else if (isKind(name)) rates[name] = rate;
    else throw new LocalCloudError(`${source}: unknown fault kind "${name}"; use ${[...KIND_NAMES, 'all'].join(', ')}.`);
  }
  return rates;
}

/** "gateway 10 %, lambda 10 %" — for start-up logs and reports. */
export function describeFaults(rates: FaultRates): string {
  const on = KIND_NAMES.filter((kind) => (rates[kind] ?? 0) > 0);
  return on.length ? on.map((kind) => `${kind} ${+((rates[kind] ?? 0) * 100).toFixed(2)} %`).join(', ') : 'none';
}

/** Faults injected so far, by kind and by when they struck. */
export interface InjectedFaults {
  gateway: { beforeAction: number; afterAction: number };
  lambda: { beforeHandler: number; afterHandler: number };
  dynamodb: { throttled: number };
  sqs: { notDeleted: number };
}

/**
 * Decides, at the configured rates, where a fault strikes, and counts the ones the local cloud injects
 * itself. Gateway faults happen inside the functions (the sandbox gateway is their code), so they are
 * counted from the functions' logs.
 */
export class FaultInjector {
  readonly counts = { lambdaBeforeHandler: 0, lambdaAfterHandler: 0, dynamodbThrottled: 0, sqsNotDeleted: 0 };

  constructor(
    readonly rates: FaultRates = {},
    private readonly random: () => number = Math.random,
    private readonly logDir?: string,
  ) {}

  get enabled(): boolean {
    return KIND_NAMES.some((kind) => (this.rates[kind] ?? 0) > 0);
  }

  /** True when a fault of this kind strikes now. */
  strikes(kind: FaultKind): boolean {
    const rate = this.rates[kind] ?? 0;
    return rate > 0 && this.random() < rate;
  }

  /** A Lambda fault strikes before or after the handler, evenly; undefined when none does. */
  lambdaFault(): 'before' | 'after' | undefined {
    if (!this.strikes('lambda')) return undefined;
    const when = this.random() < 0.5 ? 'before' : 'after';
    if (when === 'before') this.counts.lambdaBeforeHandler++;
    else this.counts.lambdaAfterHandler++;
    return when;
  }

  injected(): InjectedFaults {
    return {
      gateway: this.logDir ? countGatewayFaults(this.logDir) : { beforeAction: 0, afterAction: 0 },
      lambda: { beforeHandler: this.counts.lambdaBeforeHandler, afterHandler: this.counts.lambdaAfterHandler },
      dynamodb: { throttled: this.counts.dynamodbThrottled },
      sqs: { notDeleted: this.counts.sqsNotDeleted },
    };
  }
}

/** Counts the sandbox gateway's fault lines (Powertools JSON, one per line) in the functions' log files. */
export function countGatewayFaults(logDir: string): { beforeAction: number; afterAction: number } {
  const counted = { beforeAction: 0, afterAction: 0 };
  if (!existsSync(logDir)) return counted;
  for (const file of readdirSync(logDir).filter((name) => name.endsWith('.log'))) {
    const lines = readFileSync(path.join(logDir, file), 'utf8').split('\n');
    lines.pop(); // empty, or a line still being written
    for (const line of lines) {
      if (!line.includes(SANDBOX_GATEWAY_FAULT_MESSAGE)) continue;
      const entry = JSON.parse(line) as { message?: string; when?: string };
      if (entry.message !== SANDBOX_GATEWAY_FAULT_MESSAGE) continue;
      if (entry.when === 'after') counted.afterAction++;
      else counted.beforeAction++;
    }
  }
  return counted;
}
