import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { distIsCurrent, stampFor } from '../../scripts/prepare.mjs';

describe('prepare: dist/ is rebuilt only when what it is made from changed', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  const tree = () => {
    const root = mkdtempSync(join(tmpdir(), 'prepare-'));
    roots.push(root);
    mkdirSync(join(root, 'src/lib'), { recursive: true });
    writeFileSync(join(root, 'src/lib/a.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'package.json'), '{"name":"x"}\n');
    return root;
  };
  /** What a build writes, at a later time each run (as tsc and esbuild rewrite their files). */
  let clock = Date.now() / 1000;
  const writeOutputs = (root: string) => {
    clock += 10;
    for (const path of ['dist/app/index.js', 'dist/src/cli/main.js', 'dist/deploy/package.json']) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), '');
      utimesSync(join(root, path), clock, clock);
    }
  };
  /** prepare's build: the outputs, then the stamp. */
  const build = (root: string) => {
    writeOutputs(root);
    writeFileSync(join(root, 'dist/.build-inputs'), `${stampFor(root)}\n`);
  };

  it('is current after a build from the same sources, and no longer after any source changes', () => {
    const root = tree();
    expect(distIsCurrent(root)).toBe(false);
    build(root);
    expect(distIsCurrent(root)).toBe(true);
    // The build's own output does not count: only its inputs do.
    writeFileSync(join(root, 'dist/app/chunk.js'), 'x');
    expect(distIsCurrent(root)).toBe(true);
    writeFileSync(join(root, 'src/lib/a.ts'), 'export const a = 2;\n');
    expect(distIsCurrent(root)).toBe(false);
    build(root);
    writeFileSync(join(root, 'src/lib/b.ts'), '');
    expect(distIsCurrent(root)).toBe(false);
    build(root);
    writeFileSync(join(root, 'package-lock.json'), '{}');
    expect(distIsCurrent(root)).toBe(false);
  });

  it('is not current once anything else rebuilt dist/ (npm run build, the tests), whatever it was built from', () => {
    const root = tree();
    build(root);
    expect(distIsCurrent(root)).toBe(true);
    // A build from other sources (say, before a branch switch back), without a stamp of its own.
    writeOutputs(root);
    expect(distIsCurrent(root)).toBe(false);
  });

  it('is not current when the bundle is missing, whatever the stamp says', () => {
    const root = tree();
    build(root);
    rmSync(join(root, 'dist/app/index.js'));
    expect(distIsCurrent(root)).toBe(false);
  });
});
