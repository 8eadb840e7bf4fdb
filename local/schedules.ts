import type { LambdaRuntime } from './lambda-runtime.js';
import { type CfnTemplate, type IntrinsicResolver, LOCAL_REGION, resourcesOfType } from './template.js';

interface Schedule {
  rule: string;
  expression: string;
  everyMs: number;
  targets: string[];
}

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** `rate(5 minutes)` → 300000; cron expressions are not run locally (see docs/local-cloud.md). */
export function rateMs(expression: string): number | undefined {
  const match = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression.trim());
  return match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : undefined;
}

/**
 * The template's EventBridge schedules (AWS::Events::Rule with a rate expression and Lambda targets),
 * run locally: each target is invoked with a Scheduled Event at the rule's rate, scaled like the
 * workflow's timers (`timeScale`), and never twice at once.
 */
export class LocalSchedules {
  private readonly schedules: Schedule[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly lambdas: LambdaRuntime,
    private readonly timeScale = 1,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  register(template: CfnTemplate, resolver: IntrinsicResolver): void {
    for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Events::Rule')) {
      const props = resource.Properties ?? {};
      const expression = String(props.ScheduleExpression ?? '');
      const everyMs = rateMs(expression);
      if (props.State === 'DISABLED' || everyMs === undefined) {
        if (expression) this.log(`Schedule ${logicalId} (${expression}) is not run locally: only rate() expressions are.`);
        continue;
      }
      const targets = ((props.Targets as { Arn: unknown }[] | undefined) ?? []).map((target) => resolver.resolveString(target.Arn));
      this.schedules.push({ rule: logicalId, expression, everyMs, targets });
    }
  }

  start(): void {
    for (const schedule of this.schedules) {
      let busy = false;
      const timer = setInterval(
        () => {
          if (busy || this.stopped) return;
          busy = true;
          const run = this.fire(schedule).finally(() => {
            busy = false;
            this.running.delete(run);
          });
          this.running.add(run);
        },
        Math.max(250, schedule.everyMs * this.timeScale),
      );
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Runs every target of every schedule now, for a caller that cannot wait for the rate (none yet: `npm run reconcile` only reports). */
  async fireAll(): Promise<void> {
    await Promise.all(this.schedules.map((schedule) => this.fire(schedule)));
  }

  private async fire(schedule: Schedule): Promise<void> {
    const event = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: LOCAL_REGION,
      resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/${schedule.rule}`],
      detail: {},
    };
    for (const target of schedule.targets) {
      const result = await this.lambdas.get(target).invoke(event);
      if (!result.ok) this.log(`Schedule ${schedule.rule} → ${target} failed: ${result.error.errorMessage}`);
    }
  }

  /** Stops firing and waits for runs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.running]);
  }
}
