import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, bundleSizes, overBudget, strayAssetFiles, TIGHT_BUDGETS } from '../../bench/bundles.js';

const dirs: string[] = [];

/** A cloud assembly with one function per entry, each bundle of the given size in bytes. */
function assembly(bundles: Record<string, number>, withMap = false): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-budget-'));
  dirs.push(dir);
  const resources: Record<string, unknown> = {};
  for (const [name, bytes] of Object.entries(bundles)) {
    mkdirSync(path.join(dir, `asset.${name}`));
    writeFileSync(path.join(dir, `asset.${name}`, 'index.mjs'), 'x'.repeat(bytes));
    if (withMap) writeFileSync(path.join(dir, `asset.${name}`, 'index.mjs.map'), '{}');
    resources[`${name}Function`] = {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': `asset.${name}` },
      Properties: { Environment: { Variables: { CONVEYOR_FUNCTION: name } } },
    };
  }
  writeFileSync(path.join(dir, 'Conveyor.template.json'), JSON.stringify({ Resources: resources }));
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the bundle budget checker', () => {
  it('passes bundles at their budget', () => {
    const sizes = bundleSizes(assembly({ 'place-order': BUNDLE_BUDGET_BYTES, health: TIGHT_BUDGETS.health as number }));
    expect(overBudget(sizes)).toEqual([]);
  });

  it('fails a function that grows one byte past 300 KB, and the authorizer past 150 KB', () => {
    // Arrange
    const dir = assembly({ 'place-order': BUNDLE_BUDGET_BYTES + 1, authorizer: 150 * 1024 + 1, 'get-order': 200 * 1024 });
    // Act
    const over = overBudget(bundleSizes(dir)).map((size) => size.function);
    // Assert
    expect(over).toEqual(['authorizer', 'place-order']);
  });

  it('finds a source map that would ship inside an asset', () => {
    expect(strayAssetFiles(bundleSizes(assembly({ health: 10 }, true)))).toEqual(['index.mjs.map']);
    expect(strayAssetFiles(bundleSizes(assembly({ health: 10 })))).toEqual([]);
  });
});
