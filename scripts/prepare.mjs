// `npm ci` runs `prepare`, and so does npx each time it installs this folder as a package (`npx
// jit-guardrail …` in a clone). Rebuilding then would swap dist/ under a sandbox that is running from
// it (its lazily loaded chunks renamed): build only when what dist/ is made from changed.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What the build reads: tsconfig.build.json's folders, the bundler, and what it copies. */
export const BUILD_INPUTS = [
  'src',
  'sandbox',
  'bench',
  'scripts/bundle.mjs',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
  'host.json',
];
const STAMP = 'dist/.build-inputs';

/** One hash over every input file's path and content. */
export function buildInputsFingerprint(root = ROOT) {
  const hash = createHash('sha256');
  const visit = (path) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
      return;
    }
    hash.update(`${relative(root, path)}\0`);
    hash.update(readFileSync(path));
    hash.update('\0');
  };
  for (const input of BUILD_INPUTS) visit(join(root, input));
  return hash.digest('hex');
}

/** True when dist/ was built by this script from exactly these inputs. */
export function distIsCurrent(root = ROOT) {
  const stamp = join(root, STAMP);
  return (
    existsSync(stamp) &&
    existsSync(join(root, 'dist/app/index.js')) &&
    existsSync(join(root, 'dist/deploy')) &&
    readFileSync(stamp, 'utf8').trim() === buildInputsFingerprint(root)
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (distIsCurrent()) {
    console.log('prepare: dist/ is current (built from these sources); not rebuilt');
  } else {
    execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
    writeFileSync(join(ROOT, STAMP), `${buildInputsFingerprint()}\n`);
  }
}
