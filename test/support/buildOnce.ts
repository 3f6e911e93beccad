import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: `npm run build` once (tsc, the bundle, the staged deploy folder), so tests
 * of the real bin, npm start, the bundle and the deploy package use current code.
 */
export default function setup(): void {
  const root = resolve(fileURLToPath(import.meta.url), '../../..');
  // Silent for a while otherwise: say what is happening before the tests start.
  console.log('build for the tests: tsc -p tsconfig.build.json, then the bundle and dist/deploy...');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    { cwd: root, stdio: 'inherit' },
  );
  execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs')], { cwd: root, stdio: 'inherit' });
}
