import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/runCliCaptured.js';
import { fixture, FIXTURES } from '../support/fixtures.js';
import { ALLOW_NAME_NEW, DENY_NAME_NEW, nsg, rule } from '../support/nsgBuilders.js';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

const run = (args: string[]) => runCliCaptured(args);

const dir = mkdtempSync(join(tmpdir(), 'evaluate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function tempFile(content: string | Buffer, name = `input-${++files}.json`): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** A recorded NSG as `az network nsg show` prints it: `properties` lifted to the top level. */
function asAzCliPrintsIt(arm: Record<string, unknown>): Record<string, unknown> {
  const { properties, ...rest } = arm;
  return { ...rest, ...(properties as Record<string, unknown>) };
}

const RECORDED = fixture<Record<string, unknown>>('arm/recorded-nsgs/04-DREW-TEST-NSG.json');
const RECORDED_ID = RECORDED.id as string;
const ONE_JIT_NSG = JSON.stringify(nsg([rule({ name: ALLOW_NAME_NEW, source: '*' })]));
const ONE_JIT_VERDICT = {
  nsg: 'nsg',
  rules: [{ name: ALLOW_NAME_NEW, verdict: 'remove', reason: 'wildcard-source' }],
};

/** Runs `evaluate` on a file and expects exit 2 with exactly one line on stderr. */
async function refused(content: string | Buffer, name?: string): Promise<{ line: string; file: string }> {
  const file = tempFile(content, name);
  const result = await run(['evaluate', file]);
  expect(result).toMatchObject({ code: 2, stdout: '' });
  expect(result.stderr.split('\n')).toHaveLength(1);
  return { line: result.stderr, file };
}

describe('jit-guardrail evaluate', () => {
  it('prints one verdict per rule in input order, exit 0', async () => {
    const file = tempFile(
      JSON.stringify(
        nsg([
          rule({ name: DENY_NAME_NEW, access: 'Deny', source: '*' }),
          rule({ name: ALLOW_NAME_NEW, source: '*' }),
          rule({ name: 'web', source: '*' }),
        ]),
      ),
    );
    const result = await run(['evaluate', file]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      nsg: 'nsg',
      rules: [
        { name: DENY_NAME_NEW, verdict: 'keep', reason: 'deny' },
        { name: ALLOW_NAME_NEW, verdict: 'remove', reason: 'wildcard-source' },
        { name: 'web', verdict: 'keep', reason: 'not-jit' },
      ],
    });
  });

  it('reads a recorded NSG as Azure returned it', async () => {
    const result = await run(['evaluate', join(FIXTURES, 'arm/recorded-nsgs/03-DREW-NSG.json')]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ nsg: 'DREW-NSG', rules: [] });
  });

  it('an NSG exempted until 2099-12-31 is judged remove: no exemption beyond 30 days', async () => {
    const result = await run([
      'evaluate',
      tempFile(
        JSON.stringify(
          nsg([rule({ name: ALLOW_NAME_NEW, source: '*' })], { 'jit-guardrail-exempt-until': '2099-12-31' }),
        ),
      ),
    ]);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.rules[0]).toMatchObject({ verdict: 'remove', reason: 'wildcard-source' });
    expect(output.exemption).toMatchObject({ status: 'invalid', tagValue: '2099-12-31' });
    expect(result.stderr).toMatch(/is more than 30 day\(s\) ahead .*; it exempts nothing/);
  });

  it('reports an exemption tag that is not a date, and exempts nothing', async () => {
    const result = await run([
      'evaluate',
      tempFile(
        JSON.stringify(
          nsg([rule({ name: ALLOW_NAME_NEW, source: '*' })], { 'jit-guardrail-exempt-until': 'next week' }),
        ),
      ),
    ]);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.rules[0].verdict).toBe('remove');
    expect(output.exemption).toMatchObject({ status: 'invalid', tagValue: 'next week' });
    expect(result.stderr).toMatch(
      /^jit-guardrail evaluate: warning: tag jit-guardrail-exempt-until='next week'/,
    );
  });

  it.each([
    [
      'a missing file',
      ['evaluate', '/nonexistent/nsg.json'],
      /cannot read \/nonexistent\/nsg.json: no such file: check the path/,
    ],
    ['text that is not JSON', ['evaluate', 'TEXT:{nope'], /is not JSON/],
    [
      'JSON that is not an NSG',
      ['evaluate', 'TEXT:{"name":"x","properties":{}}'],
      /not an NSG: an NSG needs a properties.securityRules array/,
    ],
    ['two files', ['evaluate', 'a', 'b'], /at most one FILE/],
  ])('exit 2 with one line naming the problem: %s', async (_label, args, message) => {
    const resolved = args.map((a) => (a.startsWith('TEXT:') ? tempFile(a.slice(5)) : a));
    const result = await run(resolved);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toMatch(message);
  });

  it.each([
    ['UTF-16 LE with a BOM (Windows PowerShell >)', Buffer.from(`\ufeff${ONE_JIT_NSG}`, 'utf16le')],
    ['UTF-16 BE with a BOM', Buffer.from(`\ufeff${ONE_JIT_NSG}`, 'utf16le').swap16()],
    ['UTF-8 with a BOM', Buffer.from(`\ufeff${ONE_JIT_NSG}`, 'utf8')],
    ['UTF-16 LE without a BOM', Buffer.from(ONE_JIT_NSG, 'utf16le')],
    ['UTF-16 BE without a BOM', Buffer.from(ONE_JIT_NSG, 'utf16le').swap16()],
    [
      'UTF-8 with CRLF line ends',
      Buffer.from(JSON.stringify(JSON.parse(ONE_JIT_NSG), null, 2).replaceAll('\n', '\r\n')),
    ],
  ])('reads a file saved as %s', async (_label, bytes) => {
    const result = await run(['evaluate', tempFile(bytes)]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(ONE_JIT_VERDICT);
  });

  it('names az rest, with the NSG id filled in, for the az network nsg show shape', async () => {
    const { line } = await refused(JSON.stringify(asAzCliPrintsIt(RECORDED), null, 2));
    expect(line).toMatch(/^jit-guardrail evaluate: .* is an NSG as 'az network nsg show' prints it/);
    expect(line).toContain(
      `az rest --method get --url 'https://management.azure.com${RECORDED_ID}?api-version=2024-05-01' > nsg.json`,
    );
  });

  it('a printed command runs nothing the file holds: an id that is not an NSG id is left out', async () => {
    const hostile = { ...asAzCliPrintsIt(RECORDED), id: '/subscriptions/x$(touch /tmp/PWN)' };
    const { line } = await refused(JSON.stringify(hostile));
    expect(line).toContain(`--url 'https://management.azure.com<NSG id>?api-version=2024-05-01'`);
    expect(line).not.toContain('$(');
  });

  it('shows the az rest command shape when the flattened NSG has no id', async () => {
    const withoutId = asAzCliPrintsIt(RECORDED);
    delete withoutId.id;
    const { line } = await refused(JSON.stringify(withoutId));
    expect(line).toContain(
      `az rest --method get --url 'https://management.azure.com<NSG id>?api-version=2024-05-01'`,
    );
  });

  it('a list call\'s {"value": [...]}: names the count and how to pick one', async () => {
    const { line, file } = await refused(
      JSON.stringify({ value: [RECORDED, RECORDED, RECORDED] }),
      'nsgs.json',
    );
    expect(line).toBe(
      `jit-guardrail evaluate: ${file} is a list of 3 NSGs; pass one NSG, e.g. jq '.value[0]' ${file} > nsg.json`,
    );
  });

  it('a JSON array of ARM NSGs: names the count and how to pick one', async () => {
    const { line, file } = await refused(JSON.stringify([RECORDED]));
    expect(line).toBe(
      `jit-guardrail evaluate: ${file} is a list of 1 NSG; pass one NSG, e.g. jq '.[0]' ${file} > nsg.json`,
    );
  });

  it('az network nsg list output: names az rest for the first NSG', async () => {
    const flattened = asAzCliPrintsIt(RECORDED);
    const { line, file } = await refused(JSON.stringify([flattened, flattened]));
    expect(line).toBe(
      `jit-guardrail evaluate: ${file} is a list of 2 NSGs as 'az network nsg list' prints them; evaluate reads one NSG as ARM returns it: az rest --method get --url 'https://management.azure.com${RECORDED_ID}?api-version=2024-05-01' > nsg.json`,
    );
  });

  it('an empty list says there is no NSG in it', async () => {
    const { line } = await refused('{"value": []}');
    expect(line).toMatch(/is an empty list, not an NSG: save one NSG with az rest --method get/);
  });

  it.each([
    ['an empty file', ''],
    ['a file of blank lines', '\r\n\n  '],
    ['an empty UTF-16 file (PowerShell writing nothing)', Buffer.from('\ufeff\r\n', 'utf16le')],
  ])('%s: says it is empty and what to save into it', async (_label, content) => {
    const { line, file } = await refused(content);
    expect(line).toBe(
      `jit-guardrail evaluate: ${file} is empty: save one NSG with az rest --method get --url 'https://management.azure.com<NSG id>?api-version=2024-05-01' > nsg.json`,
    );
  });

  it('an object with no properties gets a sentence, not a schema error', async () => {
    const { line } = await refused('{"name": "x"}');
    expect(line).toBe(
      'jit-guardrail evaluate: not an NSG: an NSG needs properties.securityRules, as ARM returns it from GET',
    );
  });

  it.each([
    ['--json', ['evaluate', '--json', 'nsg.json']],
    ['-f', ['evaluate', '-f', 'nsg.json']],
  ])('names the option %s as typed, in one line', async (option, args) => {
    const result = await run(args);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(
      `jit-guardrail evaluate: unknown option ${option}; see 'jit-guardrail evaluate --help'`,
    );
  });

  it('has help, and refuses unknown commands', async () => {
    expect((await run(['--help'])).code).toBe(0);
    expect((await run(['evaluate', '--help'])).stdout).toMatch(/Usage: jit-guardrail evaluate/);
    expect((await run(['frobnicate'])).code).toBe(2);
  });
});

describe('npx jit-guardrail (the installed bin)', () => {
  it('reads standard input and follows the contract', async () => {
    const child = execFile(process.execPath, [join(ROOT, 'bin/jit-guardrail.mjs'), 'evaluate', '-'], {
      cwd: ROOT,
    });
    child.stdin!.end(JSON.stringify(nsg([rule({ name: ALLOW_NAME_NEW, sources: ['10.0.0.0/8', '::/0'] })])));
    const stdout = await new Promise<string>((done) => {
      let text = '';
      child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
      child.on('close', (code) => {
        expect(code).toBe(0);
        done(text);
      });
    });
    expect(JSON.parse(stdout)).toEqual({
      nsg: 'nsg',
      rules: [{ name: ALLOW_NAME_NEW, verdict: 'remove', reason: 'wildcard-source' }],
    });
  });

  it('exits 2 on unreadable input', async () => {
    const error = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin/jit-guardrail.mjs'), 'evaluate', '/nonexistent'],
      { cwd: ROOT },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 2, stderr: expect.stringMatching(/no such file/) });
  });
});
