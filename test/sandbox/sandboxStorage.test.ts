import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, isAlive, isListening, killSandbox } from '../support/localProcesses.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin/jit-guardrail.mjs');

async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `npm start -- --storage azurite`: the app's audit trail in an in-memory Azurite, readable with `audit list`. */
describe('npm start -- --storage azurite', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'jit-guardrail-sandbox-storage-'));
  let npm: ChildProcess;
  let output = '';
  let sandboxPid = 0;

  /** The printed `audit list` line's connection string, exactly as printed. */
  const printedConnectionString = (): string =>
    /^ {2}GUARDRAIL_STORAGE_CONNECTION_STRING='([^']+)' npx jit-guardrail audit list {3}#/m.exec(output)![1]!;

  beforeAll(async () => {
    npm = spawn('npm', ['start', '--', '--storage', 'azurite', '--port', '0', '--state-dir', stateDir], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    npm.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(() => output.includes('Try next'), 'the sandbox to be ready');
    sandboxPid = (JSON.parse(readFileSync(join(stateDir, 'sandbox.json'), 'utf8')) as { pid: number }).pid;
  }, 40_000);

  afterAll(async () => {
    await killSandbox(npm, sandboxPid);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('prints where the audit trail is and the audit list command for it', () => {
    expect(output).toContain('Audit trail       Azurite Table Storage, in memory');
    expect(printedConnectionString()).toMatch(
      /^DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=[^;]+;TableEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;$/,
    );
  });

  it('the printed audit list command shows the guard removing a JIT request open to any source', async () => {
    const request = await promisify(execFile)(
      process.execPath,
      [BIN, 'sandbox', 'request-jit', '--vm', 'web-01', '--source', '*', '--state-dir', stateDir],
      { cwd: ROOT, env: cleanEnv() },
    );
    expect(request.stdout).toContain('JIT access requested by you@contoso.com: web-01:22 from *');
    await waitFor(() => output.includes('Teams card 1'), 'the alert');
    let listed = '';
    await waitFor(async () => {
      const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'audit', 'list'], {
        cwd: ROOT,
        env: cleanEnv({ GUARDRAIL_STORAGE_CONNECTION_STRING: printedConnectionString() }),
      });
      listed = stdout;
      return listed.includes(' removed ');
    }, 'the removal in the audit trail');
    expect(listed).toMatch(
      /nsg {3}removed +done +web-01-nsg \/ \S*JITRule\S* {2}requested by you@contoso\.com/,
    );
  });

  it('from the folder that holds .sandbox, a plain `audit list` finds the running sandbox and reads its trail', async () => {
    const here = mkdtempSync(join(tmpdir(), 'jit-guardrail-audit-here-'));
    try {
      symlinkSync(stateDir, join(here, '.sandbox'));
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'audit', 'list'], {
        cwd: here,
        env: cleanEnv(),
      });
      expect(stderr).toBe(
        'jit-guardrail audit: reading the audit trail of the sandbox running from .sandbox\n',
      );
      expect(stdout).toMatch(/nsg {3}removed +done +web-01-nsg/);
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  });

  it('stopping npm by its pid (SIGTERM) stops the sandbox and Azurite with it: nothing listens', async () => {
    const azurite = Number(/TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(printedConnectionString())![1]);
    const host = Number(new URL(/Functions host +(\S+)/.exec(output)![1]!).port);
    expect(await isListening(azurite)).toBe(true);
    npm.kill('SIGTERM');
    await new Promise((r) => npm.once('exit', r));
    await waitFor(() => !isAlive(sandboxPid), 'the sandbox process to end', 10_000);
    expect(await isListening(azurite)).toBe(false);
    expect(await isListening(host)).toBe(false);
    expect(output).toContain('stopped.');
    expect(existsSync(join(stateDir, 'sandbox.json'))).toBe(false);
  });
});
