// `npm ci` runs `prepare`, and so does npx each time it installs this folder as a package (`npx
// jit-guardrail …` in a clone). Rebuilding then would swap dist/ under a sandbox that is running from
// it (its lazily loaded chunks renamed): build only when what dist/ is made from changed.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
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

/** What a build writes each time: if one changed since the stamp, something else rebuilt dist/. */
const OUTPUTS = ['dist/app/index.js', 'dist/src/cli/main.js', 'dist/deploy/package.json'];

function outputTimes(root) {
  return OUTPUTS.map((path) => {
    const full = join(root, path);
    return existsSync(full) ? `${path}@${statSync(full).mtimeMs}` : `${path}@missing`;
  });
}

/** What a stamp says: the inputs' fingerprint the build started from, and the outputs it left. */
export function stampFor(root = ROOT, inputs = buildInputsFingerprint(root)) {
  return JSON.stringify({ inputs, outputs: outputTimes(root) });
}

/**
 * True when dist/ is what this script built from exactly these inputs: every output there, none
 * rewritten since (`npm run build`, the tests' build, a branch switch and a build do not stamp).
 */
export function distIsCurrent(root = ROOT) {
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return false;
  if (outputTimes(root).some((t) => t.endsWith('@missing'))) return false;
  return readFileSync(stamp, 'utf8').trim() === stampFor(root);
}

// Run as a script (through a symlinked path too), not imported by the tests.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  if (distIsCurrent()) {
    console.log('prepare: dist/ is current (built from these sources); not rebuilt');
  } else {
    // Taken before the build: a source edited while it runs makes the next prepare build again.
    const inputs = buildInputsFingerprint();
    execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
    writeFileSync(join(ROOT, STAMP), `${stampFor(ROOT, inputs)}\n`);
  }
}
