import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/runCliCaptured.js';
import { FIXTURES } from '../support/fixtures.js';
import { ALLOW_NAME_NEW, DENY_NAME_NEW, nsg, rule } from '../support/nsgBuilders.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

const run = (args: string[]) => runCliCaptured(args);

function tempFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cli-')), 'input.json');
  writeFileSync(file, content);
  return file;
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
    ['a missing file', ['evaluate', '/nonexistent/nsg.json'], /cannot read \/nonexistent\/nsg.json: ENOENT/],
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
    expect(error).toMatchObject({ code: 2, stderr: expect.stringMatching(/ENOENT/) });
  });
});
