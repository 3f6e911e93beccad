// The real Bicep compiler for infra/: find it (or restore it from NuGet), compile, lint, and check
// that the committed ARM JSON is what the compiler makes today.
//
//   node scripts/bicep.mjs restore   restore the pinned CLI with `dotnet restore` (tools/bicep)
//   node scripts/bicep.mjs build     compile infra/main.bicep to infra/main.json
//   node scripts/bicep.mjs check     lint every .bicep file and compare infra/main.json; exit 1 on any finding
import { execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRY = join(ROOT, 'infra/main.bicep');
export const COMPILED = join(ROOT, 'infra/main.json');
/** Every deployable template and its committed compiled form: the subscription one, and tenant scale's. */
export const TEMPLATES = [
  { entry: ENTRY, compiled: COMPILED },
  { entry: join(ROOT, 'infra/tenant/main.bicep'), compiled: join(ROOT, 'infra/tenant/main.json') },
];
const TOOLS_PROJECT = join(ROOT, 'tools/bicep/bicep-cli.csproj');
const PACKAGE = 'azure.bicep.commandline.linux-x64';

/** The version tools/bicep/bicep-cli.csproj pins. */
export function pinnedVersion() {
  const match = /<BicepVersion>([^<]+)<\/BicepVersion>/.exec(readFileSync(TOOLS_PROJECT, 'utf8'));
  if (!match) throw new Error(`${TOOLS_PROJECT}: no <BicepVersion>`);
  return match[1];
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function nugetPackagesFolder() {
  return process.env.NUGET_PACKAGES ?? join(homedir(), '.nuget/packages');
}

function restoredBinary() {
  const path = join(nugetPackagesFolder(), PACKAGE, pinnedVersion(), 'tools/bicep');
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return undefined;
  }
  // NuGet extracts without the run bit.
  if (!executable(path)) chmodSync(path, 0o755);
  return path;
}

/** Restores the pinned Bicep CLI from NuGet; returns its path. Throws when dotnet is missing or restore fails. */
export function restore() {
  const dotnet = onPath('dotnet');
  if (!dotnet)
    throw new Error('the .NET SDK (dotnet) is not on PATH: install it, or put a bicep binary on PATH');
  const result = spawnSync(dotnet, ['restore', TOOLS_PROJECT, '--nologo', '--verbosity', 'quiet'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `dotnet restore ${relative(ROOT, TOOLS_PROJECT)} failed:\n${result.stdout}${result.stderr}`,
    );
  }
  const path = restoredBinary();
  if (!path) throw new Error(`dotnet restore succeeded but ${PACKAGE} ${pinnedVersion()} has no tools/bicep`);
  return path;
}

/**
 * A Bicep CLI: BICEP_PATH if set; else the pinned version from NuGet (restored with `{ restore: true }`
 * when dotnet is there), so infra/main.json is compiled by the version it was committed with; else a
 * `bicep` on PATH or in ~/.azure/bin (where `az bicep install` puts it).
 */
export function findBicep({ restore: mayRestore = false } = {}) {
  if (process.env.BICEP_PATH) {
    if (!executable(process.env.BICEP_PATH))
      throw new Error(`BICEP_PATH=${process.env.BICEP_PATH} is not an executable file`);
    return process.env.BICEP_PATH;
  }
  // The NuGet package is the linux-x64 build; elsewhere only a bicep of the machine's own is used.
  const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
  const pinned = linuxX64 ? restoredBinary() : undefined;
  if (pinned) return pinned;
  if (linuxX64 && mayRestore && onPath('dotnet')) return restore();
  return [onPath('bicep'), join(homedir(), '.azure/bin/bicep')].find((path) => path && executable(path));
}

export function versionOf(bicep) {
  const out = execFileSync(bicep, ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(out)?.[1] ?? out.trim();
}

/** Every .bicep file under infra/, relative to the root. */
export function bicepFiles() {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.bicep')) found.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, 'infra'));
  return found.sort();
}

/** Compiles infra/main.bicep to `outfile`; returns the diagnostics the compiler printed. */
export function build(bicep, outfile = COMPILED, entry = ENTRY) {
  const result = spawnSync(bicep, ['build', entry, '--outfile', outfile, '--diagnostics-format', 'sarif'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const diagnostics = diagnosticsOf(result.stderr, result.stdout);
  if (result.status !== 0 && diagnostics.length === 0) {
    throw new Error(`bicep build failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return diagnostics;
}

/** Lints every .bicep file under infra/ in one run; `bicep lint` exits 0 on warnings, so the SARIF results are what count. */
export function lint(bicep) {
  const result = spawnSync(
    bicep,
    ['lint', '--pattern', 'infra/**/*.bicep', '--diagnostics-format', 'sarif'],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
  );
  const diagnostics = diagnosticsOf(result.stdout, result.stderr);
  if (result.status !== 0 && diagnostics.length === 0) {
    throw new Error(`bicep lint failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return diagnostics;
}

/** SARIF results as `{ level, rule, where, message }`; SARIF's default level is warning. */
function diagnosticsOf(...outputs) {
  const diagnostics = [];
  for (const sarif of outputs.flatMap(jsonDocuments)) {
    for (const run of sarif.runs ?? []) {
      for (const result of run.results ?? []) {
        const location = result.locations?.[0]?.physicalLocation;
        const file = location?.artifactLocation?.uri?.replace(/^file:\/\//, '') ?? '?';
        diagnostics.push({
          level: result.level ?? 'warning',
          rule: result.ruleId,
          where: `${relative(ROOT, decodeURIComponent(file))}:${location?.region?.startLine ?? '?'}`,
          message: result.message?.text ?? '',
        });
      }
    }
  }
  return diagnostics;
}

/** The JSON documents in `text`: `bicep lint --pattern` prints one SARIF document per file, back to back. */
function jsonDocuments(text) {
  const documents = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = depth > 0;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && depth > 0 && --depth === 0) {
      documents.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return documents;
}

/** The template without the compiler's own stamp, so another Bicep version is compared on content. */
export function withoutGeneratorStamp(value) {
  if (Array.isArray(value)) return value.map(withoutGeneratorStamp);
  if (value && typeof value === 'object') {
    const copy = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === '_generator') continue;
      copy[key] = withoutGeneratorStamp(inner);
    }
    return copy;
  }
  return value;
}

/** Compiles to a temporary file and compares with the committed infra/main.json. */
export function compiledIsCurrent(bicep) {
  const dir = mkdtempSync(join(tmpdir(), 'jit-guardrail-bicep-'));
  try {
    let same = true;
    const diagnostics = [];
    for (const [i, { entry, compiled }] of TEMPLATES.entries()) {
      const fresh = join(dir, `${i}.json`);
      const found = build(bicep, fresh, entry);
      diagnostics.push(...found);
      if (!existsSync(compiled) || found.some((d) => d.level === 'error')) {
        same = false;
        continue;
      }
      same &&=
        JSON.stringify(withoutGeneratorStamp(JSON.parse(readFileSync(fresh, 'utf8')))) ===
        JSON.stringify(withoutGeneratorStamp(JSON.parse(readFileSync(compiled, 'utf8'))));
    }
    return { same, diagnostics };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lints every file and compares the compiled template: the whole check CI runs. */
export function check(bicep) {
  const { same, diagnostics: buildDiagnostics } = compiledIsCurrent(bicep);
  const seen = new Set();
  const all = [...lint(bicep), ...buildDiagnostics].filter((d) => {
    const key = `${d.where} ${d.rule} ${d.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  const count = (level) => all.filter((d) => d.level === level).length;
  return {
    version: versionOf(bicep),
    files: bicepFiles().length,
    errors: count('error'),
    warnings: count('warning'),
    notes: all.length - count('error') - count('warning'),
    diagnostics: all,
    compiledIsCurrent: same,
  };
}

const COMMANDS = ['restore', 'build', 'check'];

function main(command) {
  if (!COMMANDS.includes(command)) {
    console.error('usage: node scripts/bicep.mjs restore|build|check');
    return 2;
  }
  if (command === 'restore') {
    const bicep = restore();
    console.log(`bicep ${versionOf(bicep)}: ${bicep}`);
    return 0;
  }
  const bicep = findBicep({ restore: true });
  if (!bicep) {
    console.error(
      'no Bicep CLI: install the .NET SDK (on linux-x64 the pinned CLI is restored from NuGet), put bicep on PATH (`az bicep install`), or set BICEP_PATH',
    );
    return 1;
  }
  if (command === 'build') {
    let failed = false;
    for (const { entry, compiled } of TEMPLATES) {
      const diagnostics = build(bicep, compiled, entry);
      for (const d of diagnostics) console.error(`${d.where}: ${d.level} ${d.rule}: ${d.message}`);
      console.log(`bicep ${versionOf(bicep)}: ${relative(ROOT, entry)} -> ${relative(ROOT, compiled)}`);
      failed ||= diagnostics.some((d) => d.level === 'error');
    }
    return failed ? 1 : 0;
  }
  if (command === 'check') {
    const result = check(bicep);
    for (const d of result.diagnostics) console.error(`${d.where}: ${d.level} ${d.rule}: ${d.message}`);
    if (!result.compiledIsCurrent) {
      console.error(
        'a compiled template (infra/main.json, infra/tenant/main.json) is stale: run `npm run infra:build` and commit it',
      );
      if (result.version !== pinnedVersion()) {
        console.error(
          `  (this is bicep ${result.version}; the committed file is made with the pinned ${pinnedVersion()}: unset BICEP_PATH or run \`node scripts/bicep.mjs restore\`)`,
        );
      }
    }
    console.log(
      `bicep ${result.version}: ${result.files} files, ${result.errors} errors, ${result.warnings} warnings, ${result.notes} notes; ${relative(ROOT, COMPILED)} ${result.compiledIsCurrent ? 'is current' : 'is STALE'}`,
    );
    return result.diagnostics.length === 0 && result.compiledIsCurrent ? 0 : 1;
  }
  return 2;
}

// Run as a script (argv[1] through its real path: a symlinked or spaced folder must match too).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv[2]);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
