import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxStateDir, type SandboxState } from '../../sandbox/host/sandboxState.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

const state = (overrides: Partial<SandboxState> = {}): SandboxState => ({
  pid: process.pid,
  armUrl: 'https://127.0.0.1:40001',
  caFile: '/tmp/ca.pem',
  hostUrl: 'http://127.0.0.1:7071',
  functionKey: 'key',
  adminToken: 'token',
  eventGridKey: 'eg',
  subscriptionId: 'b3c1d7e5-0f1a-4c2b-9d3e-5f6a7b8c9d0e',
  storageConnectionString: undefined,
  vms: [],
  ...overrides,
});

describe("the sandbox's state folder cannot be turned against its user", () => {
  const root = mkdtempSync(join(tmpdir(), 'jit-guardrail-state-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a folder others may write to is refused, naming what to do', () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect(() => new SandboxStateDir(shared).claim()).toThrow(
      /is not yours alone .*: pass --state-dir with a folder of your own/,
    );
  });

  it('a link planted where sandbox.json goes is replaced, never followed; the file is this user’s only', () => {
    const dir = join(root, 'planted');
    mkdirSync(dir, { mode: 0o700 });
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'keep me');
    symlinkSync(victim, join(dir, 'sandbox.json'));
    const folder = new SandboxStateDir(dir);
    expect(folder.claim()).toBeUndefined();
    folder.write(state());
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    const written = lstatSync(join(dir, 'sandbox.json'));
    expect(written.isSymbolicLink()).toBe(false);
    expect(written.mode & 0o777).toBe(0o600);
    folder.release();
  });

  it('a state file that does not name the claiming process, or points off this machine, is no sandbox', () => {
    const dir = join(root, 'forged');
    const folder = new SandboxStateDir(dir);
    expect(folder.claim()).toBeUndefined();
    folder.write(state());
    expect(folder.readLive()?.pid).toBe(process.pid);
    // pid 1 is always alive, but it did not claim the folder.
    folder.write(state({ pid: 1 }));
    expect(folder.readLive()).toBeUndefined();
    folder.write(state({ armUrl: 'https://attacker.example:443' }));
    expect(folder.readLive()).toBeUndefined();
    folder.release();
  });

  it('sandboxes starting at the same moment over stale state: exactly one gets the folder', async () => {
    const dir = join(root, 'race');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'sandbox.pid'), '999999999');
    const module = join(ROOT, 'dist/sandbox/host/sandboxState.js');
    const claim = `import(${JSON.stringify(module)}).then(({ SandboxStateDir }) => {
      const busy = new SandboxStateDir(${JSON.stringify(dir)}).claim();
      process.stdout.write(busy === undefined ? 'won' : 'busy');
      setTimeout(() => {}, 1500);
    })`;
    const racers = Array.from({ length: 6 }, () =>
      promisify(execFile)(process.execPath, ['-e', claim], { timeout: 20_000 }).then((r) => r.stdout),
    );
    const outcomes = await Promise.all(racers);
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'busy')).toHaveLength(5);
  });
});
