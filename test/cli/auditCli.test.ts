import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Azurite } from '../support/azurite.js';
import { expectOneLine, runCliCaptured } from '../support/runCliCaptured.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

describe('jit-guardrail audit list: errors say how to fix them', () => {
  it('without storage: names the setting and the sandbox that keeps an audit trail locally', async () => {
    const run = await runCliCaptured(['audit', 'list']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expectOneLine(
      run.stderr,
      'jit-guardrail audit: no storage configured: set GUARDRAIL_STORAGE_CONNECTION_STRING to a Table Storage connection string (or AzureWebJobsStorage__tableServiceUri to read it with your Azure sign-in), or start the sandbox with `npm start -- --storage azurite` to keep an audit trail locally',
    );
  });

  it.each([
    ['garbage', /is not a storage connection string \(Key=Value pairs separated by ';'\)/],
    ['AccountName=acct;AccountKey=SECRET-KEY', /\(DefaultEndpointsProtocol is missing\)/],
    ['https://acct.table.core.windows.net', /set AzureWebJobsStorage__tableServiceUri to that URL instead/],
  ])(
    "a storage connection string the SDK cannot use (%s): the schema's one line, exit 2",
    async (value, reason) => {
      const run = await runCliCaptured(['audit', 'list'], {
        env: { GUARDRAIL_STORAGE_CONNECTION_STRING: value },
      });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expectOneLine(run.stderr, /^jit-guardrail audit: GUARDRAIL_STORAGE_CONNECTION_STRING: /);
      expect(run.stderr).toMatch(reason);
      expect(run.stderr).not.toMatch(/Cannot read properties|SECRET-KEY/);
    },
  );

  it.each([
    [['--json', 'true'], "--json takes no value; drop 'true'"],
    [['--json=1'], "--json takes no value; drop '=1'"],
    [['--limit'], '--limit needs a value'],
    [['--limit', 'ten'], '--limit takes a whole number from 1 to 10000'],
    [['--limit', '5', '--limit', '6'], '--limit is given twice; give it once'],
    [['--verbose'], 'unknown option --verbose'],
  ])('flags by the same rule as the sweep: %j', async (args, message) => {
    const run = await runCliCaptured(['audit', 'list', ...args]);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, `jit-guardrail audit: ${message}; see 'jit-guardrail audit --help'`);
  });

  it('identity-based storage without a sign-in: says to run az login, before any storage call', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-tools-'));
    const run = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin/jit-guardrail.mjs'), 'audit', 'list'],
      {
        // No az, azd or pwsh on PATH; developer credentials only, so nothing leaves the machine.
        env: {
          PATH: empty,
          HOME: empty,
          AZURE_TOKEN_CREDENTIALS: 'dev',
          AzureWebJobsStorage__tableServiceUri: 'https://127.0.0.1:9/',
        },
        timeout: 20_000,
      },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect('code' in run ? run.code : 0).toBe(2);
    expectOneLine(
      run.stderr,
      'jit-guardrail audit: no Azure credential found: run `az login` (or, on an Azure host, set AZURE_CLIENT_ID to the client id of its managed identity)',
    );
  });
});

describe('jit-guardrail audit list with valid storage (a real Azurite)', () => {
  const azurite = new Azurite();
  beforeAll(async () => {
    await azurite.start();
  });
  afterAll(() => azurite.stop());

  it('a full account connection string reads the table', async () => {
    const run = await runCliCaptured(['audit', 'list', '--limit=5'], {
      env: { GUARDRAIL_STORAGE_CONNECTION_STRING: azurite.connectionString },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('no decisions recorded yet');
    expect(run.code).toBe(0);
  });

  it('an unreachable storage is exit 1, one line naming the table', async () => {
    const run = await runCliCaptured(['audit', 'list', '--json'], {
      env: {
        GUARDRAIL_STORAGE_CONNECTION_STRING: azurite.connectionString.replace(String(azurite.port), '9'),
      },
    });
    expect(run.code).toBe(1);
    expectOneLine(
      run.stderr,
      /^jit-guardrail audit: cannot read the audit table GuardrailAudit \(.+\): make sure the storage your settings name is running and reachable$/,
    );
  });
});
