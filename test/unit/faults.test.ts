import { describe, expect, it } from 'vitest';
import { describeFaults, FaultInjector, parseFaults } from '../../local/faults.js';

describe('CONVEYOR_FAULTS', () => {
  it('reads rates and percentages per kind, and all= for every kind', () => {
    expect(parseFaults('gateway=0.1, lambda=5%,dynamodb=0,sqs=1')).toEqual({ gateway: 0.1, lambda: 0.05, dynamodb: 0, sqs: 1 });
    expect(parseFaults('all=0.2,sqs=0')).toEqual({ gateway: 0.2, lambda: 0.2, dynamodb: 0.2, sqs: 0 });
    expect(parseFaults(undefined)).toEqual({});
    expect(parseFaults('  ')).toEqual({});
  });

  it.each([
    ['gateway=2', /not a rate/],
    ['gateway=-0.1', /not a rate/],
    ['gateway=ten', /not a rate/],
    ['gateway=', /not a rate/],
    ['gateway', /kind=rate/],
    ['s3=0.1', /unknown fault kind "s3"; use gateway, lambda, dynamodb, sqs, all/],
  ])('refuses %s with a sentence saying what to write', (spec, message) => {
    expect(() => parseFaults(spec)).toThrow(message);
  });

  it('describes the rates in force for the start-up log', () => {
    expect(describeFaults({ gateway: 0.1, lambda: 0, sqs: 0.025 })).toBe('gateway 10 %, sqs 2.5 %');
    expect(describeFaults({})).toBe('none');
  });

  it('strikes at the configured rate, and splits Lambda faults before and after the handler', () => {
    const draws = [0.05, 0.2, 0.05, 0.7, 0.5];
    let next = 0;
    const faults = new FaultInjector({ lambda: 0.1 }, () => draws[next++] as number);

    expect([faults.lambdaFault(), faults.lambdaFault(), faults.lambdaFault()]).toEqual(['before', 'after', undefined]);
    expect(faults.strikes('dynamodb')).toBe(false);
    expect(faults.injected().lambda).toEqual({ beforeHandler: 1, afterHandler: 1 });
  });
});
