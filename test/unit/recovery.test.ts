import { describe, expect, it } from 'vitest';
import { MAX_REDRIVES, recoveryAction } from '../../lambdas/domain/recovery.js';

const run = (status: string, extra: { error?: string; redriveCount?: number } = {}) => ({ executionArn: 'arn:run', status, ...extra });

describe('recoveryAction (what the reconciler does about an order that sat too long or whose run ended)', () => {
  it('starts the run of a PENDING order that has none (a crash between writing the order and starting it)', () => {
    expect(recoveryAction('PENDING', undefined)).toBe('start');
    expect(recoveryAction('CONFIRMED', undefined)).toBe('stuck');
  });

  it('leaves a running run alone', () => {
    expect(recoveryAction('PENDING', run('RUNNING'))).toBe('wait');
  });

  it(`redrives a FAILED or TIMED_OUT run up to ${MAX_REDRIVES} times, then calls the order stuck`, () => {
    expect(recoveryAction('CONFIRMED', run('FAILED', { redriveCount: MAX_REDRIVES - 1 }))).toBe('redrive');
    expect(recoveryAction('PACKED', run('TIMED_OUT'))).toBe('redrive');
    expect(recoveryAction('CONFIRMED', run('FAILED', { redriveCount: MAX_REDRIVES }))).toBe('stuck');
  });

  it('leaves a run someone stopped (ABORTED) to a person, and a run that failed on purpose', () => {
    expect(recoveryAction('ON_HOLD', run('ABORTED'))).toBe('stuck');
    expect(recoveryAction('FULFILLING', run('ABORTED', { redriveCount: 0 }))).toBe('stuck');
    expect(recoveryAction('PENDING', run('FAILED', { error: 'OrderNotFound' }))).toBe('stuck');
  });
});
