import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/runCliCaptured.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin/jit-guardrail.mjs');

describe('jit-guardrail demo', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('runs the whole story offline and exits 0 with every step held', async () => {
    const run = await runCliCaptured(['demo']);
    expect(run.stdout).toContain('5/5 steps held');
    expect(run.stdout).not.toContain('✘');
    expect(run.code).toBe(0);
  });

  it('Ctrl-C mid-run exits 130 and leaves no temporary folder (the emulator CA) behind', async () => {
    // The demo's temporary folder goes under TMPDIR: a fresh one shows what it leaves.
    const temp = mkdtempSync(join(tmpdir(), 'jit-guardrail-demo-test-'));
    const child = spawn(process.execPath, [BIN, 'demo'], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: temp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(temp, { recursive: true, force: true });
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const deadline = Date.now() + 20_000;
    while (!output.includes('local ARM emulator at') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(readdirSync(temp)).toHaveLength(1); // the demo's folder, with the CA in it
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output).toContain('jit-guardrail demo: stopped (Ctrl-C); nothing left behind');
    expect(readdirSync(temp)).toEqual([]);
  });
});
