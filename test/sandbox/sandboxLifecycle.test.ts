import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, freePort, isAlive, isListening, killSandbox } from '../support/localProcesses.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin/jit-guardrail.mjs');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd: ROOT, env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const sandbox = (args: readonly string[], env: Record<string, string> = {}) =>
  run(process.execPath, [BIN, 'sandbox', ...args], cleanEnv(env));

async function waitFor(predicate: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A pid no process has any more: a short-lived child's, once it is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('sandbox start refuses, in one line, what would not work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-guardrail-sandbox-refuse-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('GUARDRAIL_MODE=bogus: exit 2 naming the setting, nothing started or left behind', async () => {
    const stateDir = join(dir, 'bogus');
    const result = await sandbox(['start', '--port', '0', '--state-dir', stateDir], {
      GUARDRAIL_MODE: 'bogus',
    });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "jit-guardrail sandbox: bad app setting GUARDRAIL_MODE: must be 'enforce' or 'report' — fix or unset it in your environment, then npm start again\n",
    });
    expect(existsSync(join(stateDir, 'sandbox.json'))).toBe(false);
    expect(existsSync(join(stateDir, 'sandbox.pid'))).toBe(false);
    expect(existsSync(join(stateDir, 'emulator-ca.pem'))).toBe(false);
  });

  it('through npm as a user types it: `GUARDRAIL_MODE=bogus npm start` exits non-zero naming the setting', async () => {
    const result = await run(
      'npm',
      ['start', '--', '--port', '0', '--state-dir', join(dir, 'npm-bogus')],
      cleanEnv({ GUARDRAIL_MODE: 'bogus' }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "jit-guardrail sandbox: bad app setting GUARDRAIL_MODE: must be 'enforce' or 'report'",
    );
    expect(result.stdout).not.toContain('is running');
  });

  it('every bad setting is named, each with what is wrong', async () => {
    const result = await sandbox(['start', '--port', '0', '--state-dir', join(dir, 'two')], {
      GUARDRAIL_MODE: 'bogus',
      GUARDRAIL_ARM_MAX_RETRIES: '99',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "jit-guardrail sandbox: bad app settings GUARDRAIL_MODE: must be 'enforce' or 'report'; GUARDRAIL_ARM_MAX_RETRIES: must be at most 10 — fix or unset them in your environment, then npm start again\n",
    );
  });

  it('`npm start --port 7072` (npm keeps --port): exit 2 with the command that works', async () => {
    // Through npm itself: it passes the script only `7072`, and sets npm_config_port. It fails
    // before touching any folder, so the default .sandbox is safe.
    const result = await run('npm', ['start', '--port', '7072'], cleanEnv());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "jit-guardrail sandbox: npm kept --port for itself; put the sandbox's options after --: `npm start -- --port 7072`\n",
    );
  });

  it('--verbose stands alone, as in every other command', async () => {
    const result = await sandbox(['start', '--verbose', 'true', '--state-dir', join(dir, 'verbose')], {});
    expect(result).toMatchObject({
      code: 2,
      stderr: "jit-guardrail sandbox: --verbose takes no value; drop 'true'\n",
    });
  });

  it('PORT that is not a port: exit 2 naming it', async () => {
    const result = await sandbox(['start', '--state-dir', join(dir, 'port')], { PORT: 'seventy' });
    expect(result).toMatchObject({
      code: 2,
      stderr: "jit-guardrail sandbox: PORT must be a TCP port from 0 to 65535, not 'seventy'\n",
    });
  });

  it('request-jit against stale state (its sandbox is gone) says none is running', async () => {
    const stateDir = join(dir, 'stale');
    mkdirSync(stateDir);
    // As a sandbox killed with SIGKILL leaves it: its state, its process gone.
    const stale = {
      pid: await deadPid(),
      armUrl: 'https://127.0.0.1:9',
      hostUrl: 'http://127.0.0.1:9',
      vms: [],
    };
    writeFileSync(join(stateDir, 'sandbox.json'), JSON.stringify(stale));
    writeFileSync(join(stateDir, 'sandbox.pid'), String(stale.pid));
    const result = await sandbox(['request-jit', '--vm', 'web-01', '--source', '*', '--state-dir', stateDir]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `jit-guardrail sandbox request-jit: no sandbox running: start one with \`npm start -- --state-dir ${stateDir}\`\n`,
    });
    // A start takes the stale folder over (here it then stops at a bad setting, and cleans up).
    const start = await sandbox(['start', '--port', '0', '--state-dir', stateDir], { GUARDRAIL_MODE: 'x' });
    expect(start.stderr).toMatch(/^jit-guardrail sandbox: bad app setting GUARDRAIL_MODE/);
    expect(readdirSync(stateDir)).toEqual([]);
  });
});

describe('npm start with PORT: one sandbox per folder, and it stops when npm is killed', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'jit-guardrail-sandbox-life-'));
  let npm: ChildProcess;
  let output = '';
  let port = 0;
  let sandboxPid = 0;
  let hostUrl = '';

  beforeAll(async () => {
    port = await freePort();
    npm = spawn('npm', ['start', '--', '--state-dir', stateDir], {
      cwd: ROOT,
      env: cleanEnv({ PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    npm.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(() => output.includes('Try next'), `the sandbox to be ready; output:\n${output}`);
    const state = JSON.parse(readFileSync(join(stateDir, 'sandbox.json'), 'utf8')) as {
      pid: number;
      hostUrl: string;
    };
    sandboxPid = state.pid;
    hostUrl = state.hostUrl;
  }, 40_000);

  afterAll(async () => {
    await killSandbox(npm, sandboxPid);
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(`${stateDir}-2`, { recursive: true, force: true });
  });

  it('PORT sets the Functions host port', () => {
    expect(hostUrl).toBe(`http://127.0.0.1:${port}`);
    expect(output).toContain(`Functions host    http://127.0.0.1:${port}`);
  });

  it('a second sandbox in the same folder is refused (exit 1) and leaves the first one working', async () => {
    const ca = readFileSync(join(stateDir, 'emulator-ca.pem'), 'utf8');
    const state = readFileSync(join(stateDir, 'sandbox.json'), 'utf8');
    const second = await sandbox(['start', '--port', '0', '--state-dir', stateDir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `^jit-guardrail sandbox: a sandbox is already running from ${stateDir} \\(pid ${sandboxPid}, ${hostUrl}\\): use it, stop it, or start a second one with \`npm start -- --port \\d+ --state-dir ${stateDir}-2\`\\n$`,
      ),
    );
    expect(readFileSync(join(stateDir, 'emulator-ca.pem'), 'utf8')).toBe(ca);
    expect(readFileSync(join(stateDir, 'sandbox.json'), 'utf8')).toBe(state);
    const request = await sandbox([
      'request-jit',
      '--vm',
      'web-02',
      '--source',
      '*',
      '--state-dir',
      stateDir,
    ]);
    expect(request).toMatchObject({ code: 0 });
    await waitFor(() => output.includes('Teams card 1'), 'the first sandbox to alert');
  });

  it('killing npm by its pid (SIGKILL) stops the sandbox: nothing listens, its state is gone', async () => {
    npm.kill('SIGKILL');
    await new Promise((r) => npm.once('exit', r));
    await waitFor(() => !isAlive(sandboxPid), 'the sandbox process to end', 10_000);
    expect(await isListening(port)).toBe(false);
    expect(output).toMatch(/stopping the sandbox \(the process that started it \(pid \d+\) is gone\)…/);
    expect(existsSync(join(stateDir, 'sandbox.json'))).toBe(false);
    expect(existsSync(join(stateDir, 'emulator-ca.pem'))).toBe(false);
    const after = await sandbox(['request-jit', '--vm', 'web-01', '--source', '*', '--state-dir', stateDir]);
    expect(after.stderr).toBe(
      `jit-guardrail sandbox request-jit: no sandbox running: start one with \`npm start -- --state-dir ${stateDir}\`\n`,
    );
  });
});
