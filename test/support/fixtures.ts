import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `test/fixtures`: public reference data copied into the repository (see its SOURCES.md). */
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures');

export function fixture<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, relativePath), 'utf8')) as T;
}

export function recordedNsgs(): { file: string; nsg: Record<string, unknown> }[] {
  const dir = join(FIXTURES, 'arm/recorded-nsgs');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({
      file,
      nsg: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>,
    }));
}
