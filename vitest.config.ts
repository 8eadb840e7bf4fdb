import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: { TABLE_NAME: 'unit-test-table', POWERTOOLS_DEV: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
        },
      },
      {
        test: {
          name: 'cdk',
          include: ['test/cdk/**/*.test.ts'],
          env: { CDK_VALIDATION: 'false' },
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // The fault drill starts its own local cloud (faults on); it does not need the shared one.
          exclude: ['test/integration/faults.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/integration/faults.test.ts'],
          // SETTLE_MS (150 s) for the orders, then up to RETURNS_MS (120 s) for the returns, then the report.
          testTimeout: 360_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
