import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder } from '../../scripts/bundle.mjs';
import { compileApp, importWithHost, registrationsOf, type HostView } from '../support/hostRegistrations.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const STAGED = join(ROOT, 'dist/deploy');

function hasNodeModulesAbove(dir: string): boolean {
  for (let at = dir; at !== dirname(at); at = dirname(at)) {
    if (existsSync(join(at, 'node_modules'))) return true;
  }
  return false;
}

/**
 * dist/deploy is what azd zips and Azure runs (azure.yaml `dist:`, remote build off). Copied alone
 * into an empty folder, with no node_modules anywhere above it, it must load as the Node.js worker
 * loads an app: package.json `main`, imported with the host's `@azure/functions-core`.
 */
describe('the staged deploy package, copied alone', () => {
  let alone: string;
  let manifest: Record<string, unknown>;
  let staged: HostView;
  let source: HostView;

  beforeAll(async () => {
    alone = mkdtempSync(join(tmpdir(), 'jit-guardrail-deploy-'));
    cpSync(STAGED, alone, { recursive: true });
    manifest = JSON.parse(readFileSync(join(alone, 'package.json'), 'utf8')) as Record<string, unknown>;
    staged = await registrationsOf(join(alone, String(manifest.main)));
    source = await registrationsOf(await compileApp());
  }, 60_000);
  afterAll(() => rmSync(alone, { recursive: true, force: true }));

  it('sits where nothing can be resolved from a node_modules folder', () => {
    expect(hasNodeModulesAbove(alone)).toBe(false);
  });

  it('holds host.json, a package.json npm would run nothing from, and the bundle: nothing else', () => {
    const files = filesUnder(alone).map((f) => f.path);
    expect(files).toContain('host.json');
    expect(files).toContain('package.json');
    expect(files).toContain('app/index.js');
    for (const file of files)
      expect(file, file).toMatch(/^(host\.json|package\.json|app\/[\w/.-]+\.(js|LEGAL\.txt))$/);
    expect(readFileSync(join(alone, 'host.json'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'host.json'), 'utf8'),
    );
    expect(manifest).toMatchObject({ type: 'module', main: 'app/index.js', private: true });
    for (const key of [
      'scripts',
      'dependencies',
      'devDependencies',
      'optionalDependencies',
      'bundleDependencies',
    ])
      expect(manifest, key).not.toHaveProperty(key);
    const total = filesUnder(alone).reduce((sum, f) => sum + f.bytes, 0);
    console.log(`staged deploy package: ${files.length} files, ${(total / 1024).toFixed(0)} KiB`);
  });

  it('as each deployed app runs it: the guard app hosts the guard and its timers, the reconciler the role functions', async () => {
    expect(staged.programmingModel).toMatchObject({ name: '@azure/functions' });
    const kindsWith = async (env: Record<string, string>) =>
      Object.fromEntries(
        (await registrationsOf(join(alone, String(manifest.main)), env)).functions.map((f) => [
          f.name,
          Object.values(f.bindings).find((b) => b.direction === 'in')?.type,
        ]),
      );
    const inAzure = { WEBSITE_SITE_NAME: 'func-guardrail-x' };
    expect(await kindsWith({ ...inAzure, GUARDRAIL_DUTY: 'guard' })).toEqual({
      guard: 'eventGridTrigger',
      sweepTimer: 'timerTrigger',
      outboxTimer: 'timerTrigger',
    });
    expect(await kindsWith({ ...inAzure, GUARDRAIL_DUTY: 'reconcile' })).toEqual({
      roleEvents: 'eventGridTrigger',
      reconcile: 'httpTrigger',
      reconcileTimer: 'timerTrigger',
      outboxTimer: 'timerTrigger',
    });
    // In Azure the duty is never implied: an app without it does not load at all.
    await expect(registrationsOf(join(alone, String(manifest.main)), inAzure)).rejects.toThrow(
      /GUARDRAIL_DUTY: is required in Azure/,
    );
    expect(staged).toEqual(source);
  });

  it('every module in it imports on its own, the lazily loaded core included', async () => {
    const modules = filesUnder(alone)
      .map((f) => f.path)
      .filter((p) => p.endsWith('.js'));
    expect(modules.some((p) => p.startsWith('app/chunks/appCore-'))).toBe(true);
    const stdout = await importWithHost(
      modules.map((p) => join(alone, p)),
      { cwd: alone, after: `console.log('imported ${modules.length}');` },
    );
    expect(stdout.trim().split('\n').pop()).toBe(`imported ${modules.length}`);
  });
});
