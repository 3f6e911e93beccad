// The deployment bundle: ESM with every dependency but the host's own `@azure/functions-core`, so
// the host loads a few files instead of walking node_modules. The entry holds the registrations; the
// SDK-heavy core is a chunk loaded on the first invocation.
//
// Then the deploy package: dist/deploy holds exactly what runs in Azure (host.json, a package.json
// with no scripts and no dependencies, the bundle and its chunks). azd zips that folder as it is
// (azure.yaml `dist:`, remote build off), so no ignore-file rules decide what ships.
import { build } from 'esbuild';
import {
  cpSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE = 'dist/app/index.js';
export const DEPLOY_DIR = 'dist/deploy';

export async function bundle(outdir = join(ROOT, 'dist/app')) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: join(ROOT, 'src/index.ts') },
    outdir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['@azure/functions-core'],
    // Bundled CommonJS code calls require(); give it one that resolves like Node's.
    banner: {
      js: "import { createRequire as __jitGuardrailCreateRequire } from 'node:module'; const require = __jitGuardrailCreateRequire(import.meta.url);",
    },
    sourcemap: true,
    minify: true,
    keepNames: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
  return {
    entryBytes: statSync(join(outdir, 'index.js')).size,
    totalBytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    files: outputs.length,
  };
}

/** The package.json Azure sees: what the Node.js worker reads (type, main), nothing npm would run. */
export function deployManifest(source) {
  return {
    name: source.name,
    version: source.version,
    description: source.description,
    private: true,
    license: source.license,
    type: 'module',
    main: 'app/index.js',
    engines: source.engines,
  };
}

/** Copies host.json, the bundle (without source maps) and a deploy package.json into `outdir`. */
export function stageDeployment(bundleDir = join(ROOT, 'dist/app'), outdir = join(ROOT, DEPLOY_DIR)) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  cpSync(join(ROOT, 'host.json'), join(outdir, 'host.json'));
  const source = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify(deployManifest(source), null, 2)}\n`);
  cpSync(bundleDir, join(outdir, 'app'), { recursive: true, filter: (path) => !path.endsWith('.map') });
  const files = filesUnder(outdir);
  return { files, bytes: files.reduce((sum, f) => sum + f.bytes, 0) };
}

/** Every file under `dir`, relative and sorted, with its size. */
export function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path: relative(dir, path), bytes: statSync(path).size };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

// Run as a script (argv[1] through its real path: a symlinked or spaced folder must match too).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const { entryBytes, totalBytes, files } = await bundle();
  console.log(
    `${BUNDLE}: entry ${(entryBytes / 1024).toFixed(0)} KiB, ${files} files, ${(totalBytes / 1024).toFixed(0)} KiB in all`,
  );
  const staged = stageDeployment();
  console.log(
    `${DEPLOY_DIR}: ${staged.files.length} files, ${(staged.bytes / 1024).toFixed(0)} KiB (what azd deploys)`,
  );
}
