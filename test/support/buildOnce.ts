import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Vitest global setup: compile once, so tests that run the real bin (npx jit-guardrail, npm start) use current code. */
export default function setup(): void {
  const root = resolve(fileURLToPath(import.meta.url), '../../..');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    { cwd: root, stdio: 'inherit' },
  );
}
