import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/** Files that run, build, test or deploy: code, configs, scripts, infra. Data and prose are not read. */
const CHECKED = /\.(ts|mts|cts|js|mjs|cjs|json|bicep|sh|ps1|ya?ml|csproj)$|^\.ci\/run$/;
const NOT_CHECKED = /^(test\/fixtures\/|package-lock\.json$|infra\/main\.json$)/;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f && CHECKED.test(f) && !NOT_CHECKED.test(f));
}

/**
 * Places in `text` (the content of `file`, relative to the root) that leave the repository: a path
 * to the team's `shared/` shelf beside the clone, a machine's absolute /work path, or a relative
 * literal that lands outside the root whether read from the file's folder or (as with
 * `resolve(fileURLToPath(import.meta.url), '../..')`) from the file itself.
 */
export function pathsLeavingRoot(file: string, text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:\.\.\/)+shared\b[^'"`\s]*/g)) found.push(m[0]);
  for (const m of text.matchAll(/['"`](\/work\/[^'"`\s]*)/g)) found.push(m[1]!);
  for (const m of text.matchAll(/['"`]((?:\.\.\/)+[^'"`\s$]*|\.\.)['"`]/g)) {
    const literal = m[1]!;
    const fromFolder = resolve(ROOT, dirname(file), literal);
    const fromFile = resolve(ROOT, file, literal);
    const inside = (p: string) => !relative(ROOT, p).startsWith('..');
    if (!inside(fromFolder) && !inside(fromFile)) found.push(literal);
  }
  return found;
}

// Written in pieces so that this file does not hold the paths it looks for.
const SHELF = ['..', '..', '..', 'shared', 'fixtures'].join('/');
const MACHINE_PATH = ['', 'work', 'shared', 'fixtures', 'a.json'].join('/');

describe('the repository stands alone: nothing it runs reads outside the clone', () => {
  it('finds what it is meant to find', () => {
    expect(pathsLeavingRoot('test/support/fixtures.ts', `resolve(here, '${SHELF}')`)).toEqual([SHELF]);
    expect(pathsLeavingRoot('scripts/x.mjs', "join(ROOT, '../../../elsewhere/data.json')")).toEqual([
      '../../../elsewhere/data.json',
    ]);
    expect(pathsLeavingRoot('bench/run.ts', `readFileSync('${MACHINE_PATH}')`)).toContain(MACHINE_PATH);
    expect(
      pathsLeavingRoot('test/infra/a.test.ts', "resolve(fileURLToPath(import.meta.url), '../../..')"),
    ).toEqual([]);
    expect(pathsLeavingRoot('infra/app/x.bicep', "loadJsonContent('../../src/config/a.json')")).toEqual([]);
  });

  it('no code, config, script or infra file points outside the repository', () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.flatMap((file) =>
      pathsLeavingRoot(file, readFileSync(join(ROOT, file), 'utf8')).map((p) => `${file}: ${p}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the fixtures the tests read are in the repository, each folder with its SOURCES note', () => {
    const sources = execFileSync(
      'git',
      ['ls-files', '--cached', '--others', '--exclude-standard', 'test/fixtures'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    )
      .split('\n')
      .filter((f) => f.endsWith('SOURCES.md'));
    expect(sources.sort()).toEqual([
      'test/fixtures/SOURCES.md',
      'test/fixtures/arm/SOURCES.md',
      'test/fixtures/arm/recorded-nsgs/SOURCES.md',
      'test/fixtures/azure/SOURCES.md',
      'test/fixtures/teams/SOURCES.md',
    ]);
    expect(readFileSync(join(ROOT, 'test/fixtures/SOURCES.md'), 'utf8')).toMatch(/licence/i);
  });
});
