import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nsgId } from '../../sandbox/emulator/index.js';
import { createLoopbackCertificate } from '../../sandbox/emulator/certificate.js';
import { runCli } from '../../src/cli/main.js';
import { ALLOW_NAME_NEW, rule } from '../support/nsgBuilders.js';
import { freePort } from '../support/localProcesses.js';
import { expectOneLine, runCliCaptured } from '../support/runCliCaptured.js';
import { RESOURCE_GROUP, SUBSCRIPTION, TestWorld } from '../support/world.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/** The built CLI in a process of its own, with only the environment given (no Azure sign-in to find). */
async function runBuiltCli(args: string[], env: Record<string, string> = {}) {
  const empty = mkdtempSync(join(tmpdir(), 'no-tools-'));
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin/jit-guardrail.mjs'), ...args],
      // No az, azd or pwsh on PATH; developer credentials only, so no managed-identity probe leaves the machine.
      { env: { PATH: empty, HOME: empty, AZURE_TOKEN_CREDENTIALS: 'dev', ...env }, timeout: 20_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('jit-guardrail sweep: errors say how to fix them', () => {
  it('without a sign-in: one line that says to run az login, not "network"', async () => {
    const run = await runBuiltCli(['sweep', '--subscription', SUBSCRIPTION, '--report-only']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expectOneLine(
      run.stderr,
      'jit-guardrail sweep: no Azure credential found: run `az login` (or, on an Azure host, set AZURE_CLIENT_ID to the client id of its managed identity)',
    );
  });

  it('a --subscription that is not a GUID is named as the flag, not as settings the user never set', async () => {
    const run = await runCliCaptured(['sweep', '--subscription', 'abc']);
    expect(run.code).toBe(2);
    expectOneLine(
      run.stderr,
      "jit-guardrail sweep: --subscription 'abc' is not a subscription id: a subscription id is a GUID such as 20ff7fc3-e762-44dd-bd96-b71116dcdc23; `az account list -o table` lists yours; see 'jit-guardrail sweep --help'",
    );
    expect(run.stderr).not.toMatch(/GUARDRAIL_/);
  });

  it('no subscription at all: says to pass --subscription', async () => {
    const run = await runCliCaptured(['sweep']);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, /^jit-guardrail sweep: no subscription to sweep: pass --subscription </);
  });

  it('a list of separators only is no subscription either; a leading separator is no empty id', async () => {
    const none = await runCliCaptured(['sweep'], { env: { GUARDRAIL_SWEEP_SUBSCRIPTIONS: ' , ' } });
    expect(none.code).toBe(2);
    expectOneLine(none.stderr, /^jit-guardrail sweep: no subscription to sweep: pass --subscription </);
    const leading = await runCliCaptured(['sweep'], {
      env: { GUARDRAIL_SWEEP_SUBSCRIPTIONS: ', not-a-guid', GUARDRAIL_ARM_MAX_RETRIES: '0' },
    });
    expect(leading.code).toBe(2);
    expectOneLine(leading.stderr, /'not-a-guid' is not a subscription id/);
  });

  it("a bad setting is the schema's one line, exit 2", async () => {
    const run = await runCliCaptured(['sweep', '--subscription', SUBSCRIPTION], {
      env: { GUARDRAIL_STORAGE_CONNECTION_STRING: 'garbage' },
    });
    expect(run.code).toBe(2);
    expectOneLine(
      run.stderr,
      /^jit-guardrail sweep: GUARDRAIL_STORAGE_CONNECTION_STRING: is not a storage connection string .*'UseDevelopmentStorage=true'/,
    );
  });

  it('a flag that sets a setting is named as the flag', async () => {
    const run = await runCliCaptured([
      'sweep',
      '--subscription',
      SUBSCRIPTION,
      '--emulator',
      'http://127.0.0.1:8443',
    ]);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, /^jit-guardrail sweep: --emulator: must use https/);
  });

  it.each([
    [['--verbose', 'true'], "--verbose takes no value; drop 'true'"],
    [['--verbose=true'], "--verbose takes no value; drop '=true'"],
    [['--report-only', 'yes'], "--report-only takes no value; drop 'yes'"],
    [['--report-only=false'], "--report-only takes no value; drop '=false'"],
    [['--subscription'], '--subscription needs a value'],
    [['--emulator', '--verbose'], '--emulator needs a value'],
    [['--frobnicate'], 'unknown option --frobnicate'],
  ])('boolean and valued flags by one rule: %j', async (args, message) => {
    const run = await runCliCaptured(['sweep', '--subscription', SUBSCRIPTION, ...args]);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, `jit-guardrail sweep: ${message}; see 'jit-guardrail sweep --help'`);
  });

  it('--subscription=ID works as --subscription ID', async () => {
    const run = await runCliCaptured(['sweep', '--subscription=abc']);
    expectOneLine(run.stderr, /^jit-guardrail sweep: --subscription 'abc' is not a subscription id/);
  });

  it('an emulator that does not answer is named, with what to start', async () => {
    const url = `https://127.0.0.1:${await freePort()}`;
    const run = await runCliCaptured(['sweep', '--subscription', SUBSCRIPTION, '--emulator', url]);
    expect(run.code).toBe(2);
    expectOneLine(
      run.stderr,
      `jit-guardrail sweep: nothing answers at ${url} (ECONNREFUSED): start the sandbox (npm start) and pass the --emulator URL it prints`,
    );
  });
});

describe('jit-guardrail sweep against the emulator', () => {
  let world: TestWorld;

  beforeEach(async () => {
    world = new TestWorld({ pageSize: 2 });
    await world.start();
  });
  afterEach(() => world.stop());

  const envWithout = (...names: string[]) =>
    Object.fromEntries(Object.entries(world.env).filter(([name]) => !names.includes(name)));

  it('--emulator without --ca: the certificate is not trusted, pass --ca; no ARM call was made', async () => {
    world.arm.clearRequestLog();
    const run = await runCliCaptured(['sweep', '--subscription', SUBSCRIPTION, '--emulator', world.arm.url], {
      env: envWithout('GUARDRAIL_ARM_CA_FILE', 'GUARDRAIL_ARM_ENDPOINT'),
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expectOneLine(
      run.stderr,
      "jit-guardrail sweep: the ARM emulator's certificate is not trusted: pass --ca <file> with the CA file the sandbox prints (a sandbox started here with npm start writes it to .sandbox/emulator-ca.pem)",
    );
    expect(world.arm.requests).toHaveLength(0);
  });

  it('a --ca of another emulator run: says the sandbox makes a new one at every start', async () => {
    const stale = join(mkdtempSync(join(tmpdir(), 'stale-ca-')), 'emulator-ca.pem');
    writeFileSync(stale, (await createLoopbackCertificate()).cert);
    const run = await runCliCaptured(
      ['sweep', '--subscription', SUBSCRIPTION, '--emulator', world.arm.url, '--ca', stale],
      { env: envWithout('GUARDRAIL_ARM_CA_FILE', 'GUARDRAIL_ARM_ENDPOINT') },
    );
    expect(run.code).toBe(2);
    expectOneLine(
      run.stderr,
      `jit-guardrail sweep: the ARM emulator's certificate is not signed by the CA in ${stale}: the sandbox makes a new one at every start; pass --ca with the file it printed this time`,
    );
  });

  it('--subscription is the whole sweep, even with a management group in the settings', async () => {
    world.arm.clearRequestLog();
    const run = await runCliCaptured(['sweep', '--report-only', '--subscription', SUBSCRIPTION], {
      env: { ...world.env, GUARDRAIL_GUARDED_MANAGEMENT_GROUP: 'mg-contoso' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(world.arm.requests.map((r) => r.path).filter((p) => /resourcegraph/i.test(p))).toEqual([]);
    expect(run.stderr).not.toContain('management group');
  });

  it('a bad storage setting stops the sweep before any ARM call', async () => {
    world.arm.clearRequestLog();
    const run = await runCliCaptured(
      [
        'sweep',
        '--subscription',
        SUBSCRIPTION,
        '--emulator',
        world.arm.url,
        '--ca',
        world.env.GUARDRAIL_ARM_CA_FILE!,
      ],
      { env: { ...world.env, GUARDRAIL_STORAGE_CONNECTION_STRING: 'garbage' } },
    );
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, /^jit-guardrail sweep: GUARDRAIL_STORAGE_CONNECTION_STRING: /);
    expect(run.stderr).not.toMatch(/Cannot read properties/);
    expect(world.arm.requests).toHaveLength(0);
  });

  it('on a terminal, the spinner clears its line before an alert is printed', async () => {
    for (let i = 0; i < 6; i++) {
      world.arm.seedNsg(nsgId(SUBSCRIPTION, RESOURCE_GROUP, `nsg-${i}`), {
        location: 'westeurope',
        properties: {
          securityRules: [
            rule({ name: ALLOW_NAME_NEW.replace('8C18', `${i}`.padStart(4, '0')), source: '*' }),
          ],
        },
      });
    }
    const terminal: string[] = [];
    const code = await runCli(
      [
        'sweep',
        '--subscription',
        SUBSCRIPTION,
        '--report-only',
        '--emulator',
        world.arm.url,
        '--ca',
        world.env.GUARDRAIL_ARM_CA_FILE!,
      ],
      {
        stdout: (text) => terminal.push(`${text}\n`),
        stderr: (text) => terminal.push(`${text}\n`),
        progress: (text) => terminal.push(text),
        now: () => new Date(),
        // No webhook: the CLI prints each alert.
        env: envWithout('GUARDRAIL_TEAMS_WEBHOOK_URL'),
        isTty: true,
      },
    );
    expect(code).toBe(3);
    const screen = renderTerminal(terminal.join(''));
    const spinner = /^[|/\\-] \S+: \d+ NSGs in \d+ page\(s\), \d+ wildcard JIT rule\(s\)$/;
    // Every line is the spinner alone or has no spinner in it: nothing was written onto its line.
    for (const line of screen) if (line.includes('wildcard JIT rule(s)')) expect(line).toMatch(spinner);
    const alerts = screen.filter((line) => line.includes('alert ('));
    expect(alerts).toHaveLength(6);
    for (const line of alerts) expect(line).toMatch(/^alert \(no Teams webhook configured\): STILL OPEN: /);
    expect(screen).toContainEqual(
      expect.stringMatching(/: 6 NSGs in 3 page\(s\), 6 wildcard JIT rule\(s\)$/),
    );
  });
});

/** What a terminal shows for this output: `\r` returns to column 0, `ESC[2K` clears the line. */
function renderTerminal(output: string): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  let column = 0;
  for (let i = 0; i < output.length; i++) {
    if (output.startsWith('\x1b[2K', i)) {
      line = [];
      i += 3;
    } else if (output[i] === '\r') column = 0;
    else if (output[i] === '\n') {
      lines.push(line.join('').trimEnd());
      line = [];
      column = 0;
    } else {
      while (line.length < column) line.push(' ');
      line[column++] = output[i]!;
    }
  }
  if (line.length > 0) lines.push(line.join('').trimEnd());
  return lines;
}
