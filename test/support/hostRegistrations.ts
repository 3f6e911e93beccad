import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const PRELOAD = join(ROOT, 'sandbox/functionsCorePreload.cjs');

export interface HostView {
  readonly programmingModel: { name: string; version: string } | null;
  readonly functions: { name: string; bindings: Record<string, Record<string, unknown>> }[];
}

/** Compiles the app entry (dependencies left as imports) where Node can resolve node_modules. */
export async function compileApp(): Promise<string> {
  const outDir = join(ROOT, 'node_modules/.cache/jit-guardrail-test');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `app-${process.pid}.mjs`);
  await build({
    entryPoints: [join(ROOT, 'src/index.ts')],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/**
 * Imports modules, in order, in a fresh Node process with the host stand-in preloaded; returns its
 * standard output. Only PATH and `env` reach the process.
 */
export async function importWithHost(
  modules: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; after?: string } = {},
): Promise<string> {
  const imports = modules.map((m) => `await import(${JSON.stringify(pathToFileURL(m).href)});`).join('\n');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--require', PRELOAD, '--input-type=module', '-e', `${imports}\n${options.after ?? ''}`],
    { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', ...options.env }, timeout: 30_000 },
  );
  return stdout;
}

/** Loads a built app in a fresh Node process with the host stand-in, and returns what it registered. */
export async function registrationsOf(
  entry: string,
  settings: Record<string, string> = {},
): Promise<HostView> {
  const stdout = await importWithHost([entry], { env: { FUNCTIONS_CORE_DUMP: 'stdout', ...settings } });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as HostView;
}
