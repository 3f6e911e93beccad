import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { JIT_REQUESTER_ACTIONS } from '../../src/lib/role/desiredRole.js';
import { ALLOW_NAME_NEW, nsg, rule } from '../support/nsgBuilders.js';
import { runCliCaptured } from '../support/runCliCaptured.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const ONE_JIT_NSG = JSON.stringify(nsg([rule({ name: ALLOW_NAME_NEW, source: '*' })]));
const ONE_JIT_VERDICT = {
  nsg: 'nsg',
  rules: [{ name: ALLOW_NAME_NEW, verdict: 'remove', reason: 'wildcard-source' }],
};

interface StdinRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** What was on stderr when the command first pulled from standard input. */
  readonly stderrBeforeRead: string;
}

/** Runs the CLI in process with `input` on standard input, which is a terminal or not. */
async function runWithStdin(
  args: readonly string[],
  input: string | Buffer,
  stdinIsTty: boolean,
): Promise<StdinRun> {
  const out: string[] = [];
  const err: string[] = [];
  let stderrBeforeRead: string | undefined;
  async function* typed(): AsyncGenerator<Buffer> {
    stderrBeforeRead = err.join('\n');
    yield Buffer.from(input);
  }
  const code = await runCli(args, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    progress: () => undefined,
    now: () => new Date('2026-11-25T12:00:00Z'),
    env: {},
    isTty: false,
    stdin: Readable.from(typed()),
    stdinIsTty,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), stderrBeforeRead: stderrBeforeRead ?? '' };
}

describe('jit-guardrail --version and help', () => {
  it.each([['--version'], ['-v']])('%s prints the package version, exit 0', async (flag) => {
    const result = await runCliCaptured([flag]);
    expect(result).toEqual({ code: 0, stdout: `jit-guardrail ${VERSION}`, stderr: '', progress: '' });
  });

  it('the installed bin prints the version from package.json', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin/jit-guardrail.mjs'), '--version'],
      {
        cwd: ROOT,
      },
    );
    expect(stdout).toBe(`jit-guardrail ${VERSION}\n`);
  });

  it.each([['help'], ['--help'], ['-h']])('%s lists --version, exit 0', async (arg) => {
    const result = await runCliCaptured([arg]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}--version, -v {2,}print the version$/m);
  });

  it("help COMMAND prints that command's help", async () => {
    const result = await runCliCaptured(['help', 'evaluate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: jit-guardrail evaluate/);
  });

  it.each([['frobnicate'], ['toString']])('an unknown command %s is one line naming --help', async (name) => {
    const result = await runCliCaptured([name]);
    expect(result).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `jit-guardrail: unknown command '${name}'; run 'jit-guardrail --help' for the commands`,
    });
  });

  it('a usage error is one line pointing at the command help, not the whole help', async () => {
    const result = await runCliCaptured(['evaluate', 'a.json', 'b.json']);
    expect(result).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        "jit-guardrail evaluate: evaluate takes at most one FILE argument; see 'jit-guardrail evaluate --help'",
    });
  });
});

describe('standard input', () => {
  const EVALUATE_HINT = `jit-guardrail evaluate: reading one NSG from standard input, end with Ctrl-D (Ctrl-Z Enter on Windows); or pass a FILE: save one NSG with az rest --method get --url 'https://management.azure.com<NSG id>?api-version=2024-05-01' > nsg.json`;

  it.each([[[] as string[]], [['-']]])(
    'evaluate %j on a terminal says what it waits for before it reads, then evaluates what was typed',
    async (file) => {
      const result = await runWithStdin(['evaluate', ...file], ONE_JIT_NSG, true);
      expect(result.stderrBeforeRead).toBe(EVALUATE_HINT);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(ONE_JIT_VERDICT);
    },
  );

  it('evaluate with piped input prints no hint', async () => {
    const result = await runWithStdin(['evaluate'], ONE_JIT_NSG, false);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(ONE_JIT_VERDICT);
  });

  it('evaluate reads UTF-16 LE piped from Windows PowerShell', async () => {
    const result = await runWithStdin(
      ['evaluate', '-'],
      Buffer.from(`\ufeff${ONE_JIT_NSG}`, 'utf16le'),
      false,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(ONE_JIT_VERDICT);
  });

  it('evaluate on empty standard input says what to pipe', async () => {
    const result = await runWithStdin(['evaluate'], '', false);
    expect(result).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `jit-guardrail evaluate: standard input is empty: save one NSG with az rest --method get --url 'https://management.azure.com<NSG id>?api-version=2024-05-01' > nsg.json`,
    });
  });

  it('evaluate on a piped list says to pick one with jq', async () => {
    const result = await runWithStdin(
      ['evaluate'],
      JSON.stringify({ value: [JSON.parse(ONE_JIT_NSG)] }),
      false,
    );
    expect(result).toMatchObject({
      code: 2,
      stderr:
        "jit-guardrail evaluate: standard input is a list of 1 NSG; pass one NSG, e.g. pipe it through jq '.value[0]'",
    });
  });

  it('role diff - on a terminal says what it waits for, then compares what was typed', async () => {
    const role = JSON.stringify({ actions: [...JIT_REQUESTER_ACTIONS] });
    const result = await runWithStdin(['role', 'diff', '-'], role, true);
    expect(result.stderrBeforeRead).toBe(
      `jit-guardrail role diff: reading a role definition from standard input, end with Ctrl-D (Ctrl-Z Enter on Windows); or pass a FILE: az role definition list --name 'JIT Access Requester' --query "[0]" -o json > role.json`,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ inSync: true, changes: [] });
  });

  it('role diff - on empty standard input says how to save a role', async () => {
    const result = await runWithStdin(['role', 'diff', '-'], '', false);
    expect(result).toMatchObject({
      code: 2,
      stderr: `jit-guardrail role diff: role definition (standard input) is empty: save one with az role definition list --name 'JIT Access Requester' --query "[0]" -o json > role.json`,
    });
  });
});

describe('what a file holds cannot harm the terminal or the memory', () => {
  it('an escape sequence in a file never reaches standard error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-escape-'));
    try {
      const path = join(dir, 'osc.json');
      writeFileSync(path, '{"a": \u001b]0;PWNED\u0007');
      const result = await runCliCaptured(['evaluate', path]);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toContain('\u001b');
      expect(result.stderr).not.toContain('\u0007');
      expect(result.stderr).toContain('is not JSON');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing file says so in words; an endless input is cut off at 64 MiB', async () => {
    const missing = await runCliCaptured(['evaluate', '/nonexistent/nsg.json']);
    expect(missing.stderr.trim()).toBe(
      'jit-guardrail evaluate: cannot read /nonexistent/nsg.json: no such file: check the path (or pass - to read standard input)',
    );
    const endless = await runCliCaptured(['evaluate', '/dev/zero']);
    expect(endless.code).toBe(2);
    expect(endless.stderr.trim()).toBe(
      'jit-guardrail evaluate: /dev/zero is larger than 64 MiB: pass one NSG or role definition, not a dump',
    );
  });
});
