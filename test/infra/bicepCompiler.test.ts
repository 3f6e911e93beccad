import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { check, findBicep, pinnedVersion, versionOf, withoutGeneratorStamp } from '../../scripts/bicep.mjs';

/** The pinned CLI, restored with dotnet when it is there; CI restores it before the tests (.ci/run). */
function locateBicep(): string | undefined {
  const hasDotnet = spawnSync('dotnet', ['--version'], { stdio: 'ignore' }).status === 0;
  try {
    return findBicep({ restore: hasDotnet });
  } catch (error) {
    if (process.env.CI) throw error;
    return undefined;
  }
}

const bicep = locateBicep();

describe('infra/ through the real Bicep compiler', () => {
  it('a Bicep CLI is there in CI (restored from NuGet by .ci/run)', () => {
    if (!bicep && !process.env.CI) {
      console.warn('no Bicep CLI and no dotnet here: the compiler checks are skipped (CI runs them)');
      return;
    }
    expect(bicep, 'no Bicep CLI: run `node scripts/bicep.mjs restore`').toBeTruthy();
  });

  it.skipIf(!bicep)(
    'every .bicep file builds and lints with 0 errors and 0 warnings, and infra/main.json is what it compiles to',
    () => {
      const result = check(bicep!);
      const findings = result.diagnostics.map((d) => `${d.where}: ${d.level} ${d.rule}: ${d.message}`);
      expect(findings).toEqual([]);
      expect(result).toMatchObject({ errors: 0, warnings: 0, notes: 0 });
      expect(result.files).toBeGreaterThanOrEqual(5);
      expect(result.compiledIsCurrent, 'infra/main.json is stale: run `npm run infra:build`').toBe(true);
      if (versionOf(bicep!).startsWith(pinnedVersion())) expect(result.version).toContain(pinnedVersion());
    },
    180_000,
  );

  it('compares templates without the compiler stamp, and nothing else', () => {
    const template = {
      metadata: { _generator: { version: '0.49.2' }, description: 'd' },
      resources: { m: { properties: { template: { metadata: { _generator: { version: 'x' } }, a: 1 } } } },
    };
    expect(withoutGeneratorStamp(template)).toEqual({
      metadata: { description: 'd' },
      resources: { m: { properties: { template: { metadata: {}, a: 1 } } } },
    });
  });
});
