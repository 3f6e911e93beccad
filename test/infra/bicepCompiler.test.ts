import { describe, expect, it } from 'vitest';
import { check, findBicep, pinnedVersion, versionOf, withoutGeneratorStamp } from '../../scripts/bicep.mjs';

const IN_CI = /^(true|1)$/i.test(process.env.CI ?? '');

/** The pinned CLI, restored with dotnet when it is there; CI restores it before the tests (.ci/run). */
function locateBicep(): { bicep?: string; why?: string } {
  try {
    const bicep = findBicep({ restore: true });
    return bicep ? { bicep } : { why: 'no bicep on PATH and no .NET SDK to restore it' };
  } catch (error) {
    if (IN_CI) throw error;
    return { why: error instanceof Error ? error.message : String(error) };
  }
}

const { bicep, why } = locateBicep();

describe('infra/ through the real Bicep compiler', () => {
  it('a Bicep CLI is there in CI (restored from NuGet by .ci/run)', () => {
    if (!bicep && !IN_CI) {
      console.warn(`the Bicep compiler checks are skipped here (CI runs them): ${why}`);
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
      // CI compiles with the pinned version, the one infra/main.json is committed from.
      if (IN_CI) expect(versionOf(bicep!)).toBe(pinnedVersion());
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
