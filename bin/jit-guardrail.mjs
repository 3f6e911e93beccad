#!/usr/bin/env node
// The CLI runs the compiled code; `npm ci` builds it (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('jit-guardrail: not built yet; run `npm run build` in the project folder\n');
  process.exit(2);
}
const { main } = await import(entry.href);
await main();
