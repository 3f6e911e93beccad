// The deployment bundle: ESM with every dependency but the host's own `@azure/functions-core`, so
// the host loads a few files instead of walking node_modules. The entry holds the registrations; the
// SDK-heavy core is a chunk loaded on the first invocation.
import { build } from 'esbuild';
import { rmSync, statSync } from 'node:fs';

export const BUNDLE = 'dist/app/index.js';

export async function bundle(outdir = 'dist/app') {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: 'src/index.ts' },
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
    entryBytes: statSync(`${outdir}/index.js`).size,
    totalBytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    files: outputs.length,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { entryBytes, totalBytes, files } = await bundle();
  console.log(
    `${BUNDLE}: entry ${(entryBytes / 1024).toFixed(0)} KiB, ${files} files, ${(totalBytes / 1024).toFixed(0)} KiB in all`,
  );
}
