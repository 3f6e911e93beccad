import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/** Files that run, build, test or deploy: code, configs, scripts, infra. Data and prose are not read. */
const CHECKED = /\.(ts|mts|cts|js|mjs|cjs|json|bicep|bicepparam|sh|ps1|ya?ml|csproj)$|^\.ci\/run$/;
const NOT_CHECKED = /^(test\/fixtures\/.*\.json$|package-lock\.json$|infra\/main\.json$)/;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f && CHECKED.test(f) && !NOT_CHECKED.test(f) && existsSync(join(ROOT, f)));
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
  // Path segments given one by one: join(ROOT, '..', 'shared').
  for (const m of text.matchAll(/(['"`]\.\.['"`]\s*,\s*)+['"`]shared['"`]/g)) found.push(m[0]);
  for (const m of text.matchAll(/['"`]((?:\.\.[/\\]{1,2})+[^'"`\s$]*|\.\.)['"`]/g)) {
    const literal = m[1]!.replace(/\\{1,2}/g, '/');
    const inside = (p: string) => !relative(ROOT, p).startsWith('..');
    // A chain of '..' alone is also read from the file itself, as in
    // resolve(fileURLToPath(import.meta.url), '../..'); a path with a name in it only from its folder.
    const onlyParents = /^(\.\.\/?)+$/.test(literal);
    const fromFolder = inside(resolve(ROOT, dirname(file), literal));
    const fromFile = onlyParents && inside(resolve(ROOT, file, literal));
    if (!fromFolder && !fromFile) found.push(m[1]!);
  }
  return [...new Set(found)];
}

// Written in pieces so that this file does not hold the paths it looks for.
const SHELF = ['..', '..', '..', 'shared', 'fixtures'].join('/');
const MACHINE_PATH = ['', 'work', 'shared', 'fixtures', 'a.json'].join('/');

describe('the repository stands alone: nothing it runs reads outside the clone', () => {
  it('finds what it is meant to find', () => {
    expect(pathsLeavingRoot('test/support/fixtures.ts', `resolve(here, '${SHELF}')`)).toEqual([SHELF]);
    const segments = ['..', '..', 'shared'].map((p) => `'${p}'`).join(', ');
    expect(pathsLeavingRoot('test/support/fixtures.ts', `join(ROOT, ${segments}, 'fixtures')`)).toEqual([
      segments,
    ]);
    expect(pathsLeavingRoot('scripts/x.mjs', "join(ROOT, '../../../elsewhere/data.json')")).toEqual([
      '../../../elsewhere/data.json',
    ]);
    expect(pathsLeavingRoot('bench/run.ts', `readFileSync('${MACHINE_PATH}')`)).toContain(MACHINE_PATH);
    expect(
      pathsLeavingRoot('test/infra/a.test.ts', "resolve(fileURLToPath(import.meta.url), '../../..')"),
    ).toEqual([]);
    expect(pathsLeavingRoot('infra/app/x.bicep', "loadJsonContent('../../src/config/a.json')")).toEqual([]);
    expect(
      pathsLeavingRoot('test/support/a.ts', "new URL('../../../outside/a.json', import.meta.url)"),
    ).toEqual(['../../../outside/a.json']);
    expect(
      pathsLeavingRoot('test/support/a.ts', "readFileSync('..\\\\..\\\\..\\\\x\\\\a.json')"),
    ).toHaveLength(1);
  });

  it('no code, config, script or infra file points outside the repository', () => {
    // This file holds the patterns it looks for.
    const files = trackedFiles().filter((f) => f !== 'test/repository/standsAlone.test.ts');
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.flatMap((file) =>
      pathsLeavingRoot(file, readFileSync(join(ROOT, file), 'utf8')).map((p) => `${file}: ${p}`),
    );
    expect(offenders).toEqual([]);
  });

  it('no tracked link points outside the repository', () => {
    const links = execFileSync('git', ['ls-files', '-s'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.startsWith('120000 '))
      .map((line) => line.split('\t')[1]!);
    const outside = links.filter((link) => relative(ROOT, realpathSync(join(ROOT, link))).startsWith('..'));
    expect(outside).toEqual([]);
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
      'test/fixtures/adaptive-cards/SOURCES.md',
      'test/fixtures/arm/SOURCES.md',
      'test/fixtures/arm/recorded-nsgs/SOURCES.md',
      'test/fixtures/arm/recordings/SOURCES.md',
      'test/fixtures/azure/SOURCES.md',
      'test/fixtures/teams/SOURCES.md',
    ]);
    expect(readFileSync(join(ROOT, 'test/fixtures/SOURCES.md'), 'utf8')).toMatch(/licence/i);
  });
});
