// `npm run cards -- --out DIR`: every kind of Teams card the guardrail sends (sandbox/cardGallery.ts,
// built by the app's own card builders), written as the JSON Teams receives and as PNGs rendered by
// Microsoft's `adaptivecards` renderer with the Teams host configs, light and dark, 500 px (desktop
// channel) and 320 px (phone), in Debian's Chromium (test/support/cardRenderer.ts). One line per card:
// POST body bytes, rendered height, renderer warnings, overflows and the stricter problems the
// rendered-card test looks for (`--verbose` lists them).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GALLERY = join(ROOT, 'dist/sandbox/cardGallery.js');
const RENDERER = join(ROOT, 'dist/scripts/cardRenderer.js');
const TEAMS_MAX_BODY_BYTES = 28 * 1024;
const VARIANTS = [
  { theme: 'light', width: 500 },
  { theme: 'light', width: 320 },
  { theme: 'dark', width: 500 },
  { theme: 'dark', width: 320 },
];

function parseArgs(argv) {
  const args = { out: join(ROOT, 'dist/cards'), verbose: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) args.out = resolve(argv[++i]);
    else if (argv[i] === '--verbose') args.verbose = true;
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log('usage: npm run cards -- [--out DIR] [--verbose]   (DIR defaults to dist/cards)');
      process.exit(0);
    } else {
      console.error(`cards: unknown argument ${argv[i]} (usage: npm run cards -- [--out DIR] [--verbose])`);
      process.exit(2);
    }
  }
  return args;
}

/** The newest modification time of the sources the build compiles into dist (src, sandbox). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Compiles the app (tsc -p tsconfig.build.json) when the gallery in dist is missing or older than a source. */
function buildIfNeeded() {
  const built = existsSync(GALLERY) ? statSync(GALLERY).mtimeMs : 0;
  const newest = Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'sandbox')));
  if (built >= newest) return false;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  return true;
}

/** The renderer is test support code in TypeScript: bundled for Node, its packages left to node_modules. */
async function loadRenderer() {
  await build({
    entryPoints: [join(ROOT, 'test/support/cardRenderer.ts')],
    outfile: RENDERER,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
  });
  return import(pathToFileURL(RENDERER).href);
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const pair = (values) => values.join('/');

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const renderer = await loadRenderer();
  if (!renderer.chromiumAvailable()) {
    console.error(`cards: ${renderer.chromiumMissingMessage()}`);
    process.exit(1);
  }
  if (buildIfNeeded()) console.log('cards: compiled the app (dist/) first');
  const { cardGallery } = await import(pathToFileURL(GALLERY).href);
  mkdirSync(args.out, { recursive: true });
  const started = Date.now();
  const cards = await renderer.startCardRenderer();
  let files = 0;
  try {
    const gallery = cardGallery();
    const width = Math.max(...gallery.map((card) => card.kind.length));
    for (const { kind, payload, mustShow } of gallery) {
      const body = JSON.stringify(payload);
      const bytes = Buffer.byteLength(body);
      writeFileSync(join(args.out, `${kind}.json`), `${JSON.stringify(payload, null, 2)}\n`);
      files += 1;
      const rendered = [];
      for (const variant of VARIANTS) {
        const card = await cards.render(payload, variant);
        writeFileSync(join(args.out, `${kind}-${variant.theme}-${variant.width}.png`), await card.png());
        files += 1;
        rendered.push(card);
      }
      const light = rendered.filter((card) => card.theme === 'light');
      const problems = [
        ...new Set(light.flatMap((card) => renderer.cardProblems(card, mustShow))),
        ...(bytes > TEAMS_MAX_BODY_BYTES ? [`POST body ${bytes} bytes > ${TEAMS_MAX_BODY_BYTES}`] : []),
      ];
      console.log(
        [
          kind.padEnd(width),
          `${kb(bytes)}${bytes > TEAMS_MAX_BODY_BYTES ? ' OVER 28 KB' : ''}`,
          `height ${pair(light.map((card) => card.heightPx))} px (500/320)`,
          `warnings ${pair(light.map((card) => card.warnings.length))}`,
          `overflows ${pair(light.map((card) => card.overflows.length))}`,
          `problems ${problems.length}`,
        ].join('  '),
      );
      if (args.verbose)
        for (const line of [...new Set(rendered.flatMap((card) => card.notes)), ...problems])
          console.log(`    ${line}`);
    }
    console.log(
      `cards: ${gallery.length} cards, ${files} files in ${relative(process.cwd(), args.out) || '.'} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  } finally {
    await cards.close();
  }
}

main().catch((error) => {
  console.error(`cards: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
