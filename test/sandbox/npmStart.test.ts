import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin/jit-guardrail.mjs');

/** `npm start` as a person runs it: the built app behind the local host, driven from another terminal. */
describe('npm start: the sandbox', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'jit-guardrail-sandbox-'));
  let child: ChildProcess;
  let output = '';
  let hostUrl = '';
  let key = '';
  let token = '';
  let eventGridKey = '';

  /** The arguments of the printed "Try next" request-jit line for a VM, exactly as printed. */
  const printed = (vm: string): string[] => {
    const line = output.split('\n').find((l) => l.includes(`request-jit --vm ${vm} `))!;
    const command = line
      .split('#')[0]!
      .trim()
      .replace(/^npx jit-guardrail /, '');
    return command.split(/\s+/).map((arg) => arg.replace(/^'(.*)'$/, '$1'));
  };

  const waitFor = async (predicate: () => boolean, what: string, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    child = spawn(process.execPath, [BIN, 'sandbox', 'start', '--port', '0', '--state-dir', stateDir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(() => output.includes('Try next'), 'the sandbox to be ready');
    hostUrl = /Functions host +(http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
    key = /code=([0-9a-f]+)/.exec(output)![1]!;
    token = /Authorization: Bearer ([0-9a-f]+)/.exec(output)![1]!;
    const stateFile = join(stateDir, 'sandbox.json');
    eventGridKey = (JSON.parse(readFileSync(stateFile, 'utf8')) as { eventGridKey: string }).eventGridKey;
    // It holds the local keys: this user alone may read it.
    expect(statSync(stateFile).mode & 0o077).toBe(0);
  }, 30_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('a JIT request with * made as printed is removed and alerted (card printed and saved)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...printed('web-01')], {
      cwd: ROOT,
    });
    expect(stdout).toContain('JIT access requested by you@contoso.com: web-01:22 from *');
    await waitFor(() => output.includes('Teams card 1'), 'the alert');
    expect(output).toMatch(/Closed: web-01 port 22 \(SSH\) was open to the internet/);
    expect(output).toMatch(/Requested by: you@contoso.com \(through JIT\)/);
    expect(output).toMatch(/Action: removed/);
    const saved = readdirSync(join(stateDir, 'cards'));
    expect(saved).toEqual(['001.json']);
    expect(JSON.parse(readFileSync(join(stateDir, 'cards', saved[0]!), 'utf8'))).toMatchObject({
      type: 'message',
    });
  });

  it('a request from an allowed address stays, sends nothing, and the sandbox says it was kept and why', async () => {
    await promisify(execFile)(process.execPath, [BIN, ...printed('sql-01')], { cwd: ROOT });
    const kept =
      '✔ JIT request kept: sql-01 port 22 from 198.51.100.7 — a specific source, not the internet, so the guardrail leaves it for JIT to close (no alert)';
    await waitFor(() => output.includes(kept), 'the kept line');
    expect(output.split(kept)).toHaveLength(2); // said once
    await new Promise((r) => setTimeout(r, 300));
    expect(output).not.toContain('Teams card 2');
  });

  it('request-jit --port is the VM port: a port without JIT is refused in one line', async () => {
    const refused = await promisify(execFile)(
      process.execPath,
      [
        BIN,
        'sandbox',
        'request-jit',
        '--vm',
        'web-01',
        '--source',
        '*',
        '--port',
        '7072',
        '--state-dir',
        stateDir,
      ],
      { cwd: ROOT },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({
      code: 2,
      stderr:
        "jit-guardrail sandbox request-jit: --port is the VM port to open, and web-01 has JIT on 22 and 3389 only (the sandbox's own port comes from sandbox.json)\n",
    });
  });

  it('a wrong function key is told apart from a missing one', async () => {
    const signedIn = { authorization: `Bearer ${token}` };
    const wrong = await fetch(`${hostUrl}/api/reconcile?code=${'0'.repeat(32)}`, {
      method: 'POST',
      headers: signedIn,
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: 'the function key is wrong: use the code the sandbox printed (functionKey in sandbox.json)',
    });
    const viaHeader = await fetch(`${hostUrl}/api/reconcile`, {
      method: 'POST',
      headers: { ...signedIn, 'x-functions-key': 'not-the-key' },
    });
    expect(((await viaHeader.json()) as { error: string }).error).toMatch(/^the function key is wrong/);
    const none = await fetch(`${hostUrl}/api/reconcile`, { method: 'POST', headers: signedIn });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: 'a function key is required (?code= or x-functions-key)' });
    const wrongSystemKey = await fetch(`${hostUrl}/runtime/webhooks/eventgrid?functionName=guard&code=nope`, {
      method: 'POST',
      body: '[]',
    });
    expect(await wrongSystemKey.json()).toEqual({ error: 'the Event Grid system key is wrong (?code=)' });
  });

  it('the reconcile curl lines work: the first reports the drift, the second fixes it', async () => {
    const post = (init: { body?: string; headers?: Record<string, string> } = {}) =>
      fetch(`${hostUrl}/api/reconcile?code=${key}`, { method: 'POST', ...init });
    const signedIn = { authorization: `Bearer ${token}` };
    const dry = await post({ headers: signedIn });
    expect(dry.status).toBe(200);
    expect(((await dry.json()) as { role: { status: string } }).role.status).toBe('drift-reported');
    const fix = await post({ headers: signedIn, body: '{"dryRun": false}' });
    expect(((await fix.json()) as { role: { status: string } }).role.status).toBe('updated');
    expect((await fetch(`${hostUrl}/api/reconcile`, { method: 'POST', headers: signedIn })).status).toBe(401);
  });

  it('a valid key with a forged x-ms-client-principal is refused (401), and the key with no body writes nothing', async () => {
    const forged = Buffer.from(
      JSON.stringify({
        claims: [
          { typ: 'name', val: 'mallory' },
          { typ: 'roles', val: 'Guardrail.Admin' },
        ],
      }),
    ).toString('base64');
    const answer = await fetch(`${hostUrl}/api/reconcile?code=${key}`, {
      method: 'POST',
      headers: { 'x-ms-client-principal': forged },
      body: '{"dryRun": false}',
    });
    expect(answer.status).toBe(401);
    const keyOnly = await fetch(`${hostUrl}/api/reconcile?code=${key}`, { method: 'POST' });
    expect(keyOnly.status).toBe(401);
    expect(output).not.toContain('requested by mallory');
  });

  it('answers the Event Grid validation handshake (Event Grid schema and CloudEvents)', async () => {
    const validation = fixture<{ data: { validationCode: string } }[]>(
      'azure/eventgrid-subscription-validation.eventgrid.json',
    );
    const unkeyed = await fetch(`${hostUrl}/runtime/webhooks/eventgrid?functionName=guard`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: '[]',
    });
    expect(unkeyed.status).toBe(401);
    const answer = await fetch(
      `${hostUrl}/runtime/webhooks/eventgrid?functionName=guard&code=${eventGridKey}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
        body: JSON.stringify(validation),
      },
    );
    expect(await answer.json()).toEqual({ validationResponse: validation[0]!.data.validationCode });
    const options = await fetch(
      `${hostUrl}/runtime/webhooks/eventgrid?functionName=guard&code=${eventGridKey}`,
      {
        method: 'OPTIONS',
        headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
      },
    );
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('a second sandbox on the same port says so in one line, with the npm start command that works, and exits 1', async () => {
    const port = new URL(hostUrl).port;
    const otherDir = join(stateDir, 'other');
    const other = await promisify(execFile)(
      process.execPath,
      [BIN, 'sandbox', 'start', '--port', port, '--state-dir', otherDir],
      { cwd: ROOT },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(other).toMatchObject({ code: 1 });
    const { stderr } = other as { stderr: string };
    const line = new RegExp(
      `^jit-guardrail sandbox: port ${port} is in use \\(another sandbox or Functions host\\?\\); run \`npm start -- --port (\\d+) --state-dir ${otherDir}\`\n$`,
    );
    expect(stderr).toMatch(line);
    const suggested = Number(line.exec(stderr)![1]);
    expect(suggested).not.toBe(Number(port));
    // What it stopped it cleaned: the folder is free for the next start.
    expect(readdirSync(otherDir).filter((f) => f !== 'cards')).toEqual([]);
  });

  it('Ctrl-C stops everything cleanly; request-jit then says no sandbox is running', async () => {
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(output).toContain('stopping the sandbox (Ctrl-C)…');
    expect(output).toContain('stopped.');
    expect(readdirSync(stateDir).sort()).toEqual(['cards', 'other']);
    const after = await promisify(execFile)(process.execPath, [BIN, ...printed('web-01')], {
      cwd: ROOT,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(after).toMatchObject({
      code: 2,
      stderr: `jit-guardrail sandbox request-jit: no sandbox running: start one with \`npm start -- --state-dir ${stateDir}\`\n`,
    });
    await expect(fetch(`${hostUrl}/api/reconcile`, { method: 'POST' })).rejects.toThrow();
  });
});
