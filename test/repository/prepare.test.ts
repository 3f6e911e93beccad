import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildInputsFingerprint, distIsCurrent } from '../../scripts/prepare.mjs';

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
  const build = (root: string) => {
    mkdirSync(join(root, 'dist/app'), { recursive: true });
    mkdirSync(join(root, 'dist/deploy'), { recursive: true });
    writeFileSync(join(root, 'dist/app/index.js'), '');
    writeFileSync(join(root, 'dist/.build-inputs'), `${buildInputsFingerprint(root)}\n`);
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

  it('is not current when the bundle is missing, whatever the stamp says', () => {
    const root = tree();
    build(root);
    rmSync(join(root, 'dist/app/index.js'));
    expect(distIsCurrent(root)).toBe(false);
  });
});
