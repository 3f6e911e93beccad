import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepTimer } from '../../src/functions/sweepTimer.js';
import { nsgId } from '../../sandbox/emulator/index.js';
import { ALLOW_NAME_NEW, DENY_NAME_NEW, rule } from '../support/nsgBuilders.js';
import { runCliCaptured } from '../support/runCliCaptured.js';
import { RESOURCE_GROUP, SUBSCRIPTION, TestWorld } from '../support/world.js';

const OTHER_SUBSCRIPTION = '3eeab341-f466-499c-a8be-85427e154baf';

interface Summary {
  mode: string;
  subscriptions: {
    subscriptionId: string;
    pages: number;
    nsgsScanned: number;
    wildcardRules: number;
    removed: number;
    wouldRemove: number;
    failed: number;
    exempt: number;
    longestExposure?: { toDeleteAcceptedMs: number; toRemovedMs: number };
    errors: string[];
    policyFindings: { vmName: string; port: number }[];
  }[];
}

describe('the sweep catches what events missed', () => {
  let world: TestWorld;

  beforeEach(async () => {
    world = new TestWorld({ pageSize: 100 });
    await world.start();
  });
  afterEach(() => world.stop());

  /** NSGs seeded straight into ARM: no event is ever published for them. */
  function seedNsgs(count: number, wildcardEvery: number, subscription = SUBSCRIPTION) {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = nsgId(subscription, RESOURCE_GROUP, `nsg-${String(i).padStart(5, '0')}`);
      const rules = [
        rule({
          name: DENY_NAME_NEW.replace('9EF6', `${i}`.padStart(4, '0')),
          access: 'Deny',
          source: '*',
          priority: 1000,
        }),
      ];
      if (i % wildcardEvery === 0)
        rules.push(
          rule({ name: ALLOW_NAME_NEW.replace('8C18', `${i}`.padStart(4, '0')), source: '*', priority: 100 }),
        );
      rules.push(rule({ name: `AllowOffice-${i}`, source: '203.0.113.0/24', priority: 200 }));
      world.arm.seedNsg(id, { location: 'westeurope', properties: { securityRules: rules } });
      ids.push(id);
    }
    return ids;
  }

  const sweepCli = (...args: string[]) =>
    runCliCaptured(
      ['sweep', '--emulator', world.arm.url, '--ca', world.env.GUARDRAIL_ARM_CA_FILE!, ...args],
      { env: world.env },
    );

  it('lists NSGs a page at a time (one read per page, never one per NSG) and removes every wildcard JIT rule', async () => {
    const ids = seedNsgs(250, 10);
    world.arm.clearRequestLog();
    const run = await sweepCli('--subscription', SUBSCRIPTION);
    expect(run.stderr).toBe('');
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.subscriptions[0]).toMatchObject({
      pages: 3,
      nsgsScanned: 250,
      wildcardRules: 25,
      removed: 25,
      failed: 0,
      errors: [],
    });
    expect(run.code).toBe(0);
    const calls = world.guardrailCalls();
    expect(
      calls.filter(
        (c) => c.method === 'GET' && c.path.endsWith('/providers/Microsoft.Network/networkSecurityGroups'),
      ),
    ).toHaveLength(3);
    expect(
      calls.filter((c) => c.method === 'GET' && /\/networkSecurityGroups\/[^/]+$/.test(c.path)),
    ).toHaveLength(0);
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(25);
    expect(calls.filter((c) => c.path.includes('jitNetworkAccessPolicies'))).toHaveLength(1); // requesters and audit share it
    for (const id of ids) {
      const rules = world.arm.getNsg(id)!.properties.securityRules;
      expect(
        rules.some((r) => r.properties.access === 'Allow' && r.properties.sourceAddressPrefix === '*'),
      ).toBe(false);
      expect(rules.some((r) => r.properties.access === 'Deny')).toBe(true);
      expect(rules.some((r) => r.properties.sourceAddressPrefix === '203.0.113.0/24')).toBe(true);
    }
    expect(world.teams.cards).toHaveLength(25);
    expect(JSON.stringify(world.teams.cards[0]!.body)).toContain('Found by the sweep, not in real time');
    expect(run.progress.trim().split('\n')).toHaveLength(3);
  });

  it('keeps deletes inside ARM write pacing and bounded concurrency', async () => {
    seedNsgs(30, 1);
    world.arm.injectFault({ kind: 'latency', ms: 20 }, { method: 'DELETE', times: 100 });
    world.arm.clearRequestLog();
    await sweepCli('--subscription', SUBSCRIPTION);
    const deletes = world.arm.requests.filter((r) => r.method === 'DELETE');
    expect(deletes).toHaveLength(30);
    let peak = 0;
    for (const d of deletes) {
      const overlapping = deletes.filter(
        (o) => o.startedAt <= d.startedAt && o.startedAt + o.durationMs > d.startedAt,
      ).length;
      peak = Math.max(peak, overlapping);
    }
    expect(peak).toBeLessThanOrEqual(4);
    // Token bucket of 10 with 10/s refill: 30 deletes cannot all start within 2 seconds.
    const span = deletes.at(-1)!.startedAt - deletes[0]!.startedAt;
    expect(span).toBeGreaterThanOrEqual(1_800);
  });

  it('report-only deletes nothing, counts what it would remove, and exits 3', async () => {
    seedNsgs(20, 5);
    const run = await sweepCli('--subscription', SUBSCRIPTION, '--report-only');
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.mode).toBe('report');
    expect(summary.subscriptions[0]).toMatchObject({ wildcardRules: 4, wouldRemove: 4, removed: 0 });
    expect(world.arm.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);
    expect(run.code).toBe(3);
  });

  it('a failed delete is named, the rest still removed, exit 1; the timer fails loudly', async () => {
    const ids = seedNsgs(10, 1);
    world.arm.injectFault(
      { kind: 'status', status: 403 },
      { method: 'DELETE', path: '/nsg-00003/', times: 10 },
    );
    const run = await sweepCli('--subscription', SUBSCRIPTION);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.subscriptions[0]).toMatchObject({ removed: 9, failed: 1 });
    expect(summary.subscriptions[0]!.errors.join()).toContain('nsg-00003');
    expect(run.code).toBe(1);
    expect(
      world.arm
        .getNsg(ids[3]!)!
        .properties.securityRules.some((r) => r.name.startsWith('MicrosoftDefenderForCloud-JITRule-')),
    ).toBe(true);

    await expect(sweepTimer({} as never, world.context('sweepTimer'))).rejects.toThrow(
      /could not finish everything: .*nsg-00003/,
    );
  });

  it('sweeps several subscriptions', async () => {
    seedNsgs(5, 1, SUBSCRIPTION);
    seedNsgs(5, 1, OTHER_SUBSCRIPTION);
    const run = await sweepCli('--subscription', SUBSCRIPTION, '--subscription', OTHER_SUBSCRIPTION);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.subscriptions.map((s) => [s.subscriptionId, s.removed])).toEqual([
      [SUBSCRIPTION, 5],
      [OTHER_SUBSCRIPTION, 5],
    ]);
  });

  it('audits JIT policies: a port that allows any source is reported (exit 3) and digested once', async () => {
    const barbara = world.actor('barbara@contoso.com');
    const open = world.seedVm('open-vm');
    const strict = world.seedVm('strict-vm');
    await barbara.enable(open.vmId, [22, 3389], '*');
    await barbara.enable(strict.vmId, [22], '203.0.113.0/24');
    const first = await sweepCli('--subscription', SUBSCRIPTION);
    const summary = JSON.parse(first.stdout) as Summary;
    expect(summary.subscriptions[0]!.policyFindings.map((f) => [f.vmName, f.port])).toEqual([
      ['open-vm', 22],
      ['open-vm', 3389],
    ]);
    expect(first.code).toBe(3);
    // In the function app the same finding is digested once, not at every hourly sweep.
    world.teams.cards.length = 0;
    await sweepTimer({} as never, world.context('sweepTimer'));
    await sweepTimer({} as never, world.context('sweepTimer'));
    const digests = world.teams.cards.filter((c) =>
      JSON.stringify(c.body).includes('Root cause: JIT policies let requesters open'),
    );
    expect(digests).toHaveLength(1);
  });

  it('a missed request: its exposure window is in the summary; an exempt wildcard rule is counted as exempt, not failed', async () => {
    const barbara = world.actor('barbara@contoso.com');
    const open = world.seedVm('exposed-vm');
    const until = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const exempt = world.seedVm('exempt-vm', { tags: { 'jit-guardrail-exempt-until': until } });
    for (const vm of [open, exempt]) await barbara.enable(vm.vmId, [22]);
    world.arm.events.deliveryEnabled = false;
    for (const vm of [open, exempt]) await barbara.request(vm.vmId, 22, '*', 'weekend fix');
    const run = await sweepCli('--subscription', SUBSCRIPTION);
    // 3, not 1: the JIT policies that allow any source are findings; the exempt rule is no failure.
    expect(run.code).toBe(3);
    const [summary] = (JSON.parse(run.stdout) as Summary).subscriptions;
    expect(summary).toMatchObject({ removed: 1, exempt: 1, failed: 0, errors: [] });
    const exposure = summary!.longestExposure!;
    expect(exposure.toDeleteAcceptedMs).toBeGreaterThanOrEqual(0);
    expect(exposure.toRemovedMs).toBeGreaterThanOrEqual(exposure.toDeleteAcceptedMs);
  });

  it('a missed JIT request is caught with its requester', async () => {
    const barbara = world.actor('barbara@contoso.com');
    const vm = world.seedVm('missed-vm');
    await barbara.enable(vm.vmId, [22]);
    world.arm.events.deliveryEnabled = false;
    await barbara.request(vm.vmId, 22, '*', 'weekend fix');
    await sweepCli('--subscription', SUBSCRIPTION);
    const card = JSON.stringify(
      world.teams.cards.find((c) => JSON.stringify(c.body).includes('missed-vm'))!.body,
    );
    expect(card).toContain('barbara@contoso.com');
    expect(card).toContain('weekend fix');
  });

  it('alerts each removal it makes: a rule opened again and removed again is a new card', async () => {
    const barbara = world.actor('barbara@contoso.com');
    const vm = world.seedVm('again-vm');
    await barbara.enable(vm.vmId, [22]);
    world.arm.events.deliveryEnabled = false;
    const cards = (justification: string) =>
      world.teams.cards.filter((c) => JSON.stringify(c.body).includes(justification)).length;
    await barbara.request(vm.vmId, 22, '*', 'first time');
    await sweepCli('--subscription', SUBSCRIPTION);
    await sweepCli('--subscription', SUBSCRIPTION); // nothing new: no card
    expect(cards('first time')).toBe(1);
    await barbara.request(vm.vmId, 22, '*', 'second time');
    await sweepCli('--subscription', SUBSCRIPTION);
    await sweepCli('--subscription', SUBSCRIPTION);
    expect([cards('first time'), cards('second time')]).toEqual([1, 1]);
  });

  it('draws a progress line on a terminal and refuses bad usage', async () => {
    seedNsgs(3, 1);
    const tty = await runCliCaptured(
      [
        'sweep',
        '--emulator',
        world.arm.url,
        '--ca',
        world.env.GUARDRAIL_ARM_CA_FILE!,
        '--subscription',
        SUBSCRIPTION,
      ],
      { env: world.env, isTty: true },
    );
    expect(tty.progress).toMatch(/^\r. .*3 NSGs in 1 page\(s\), 3 wildcard JIT rule\(s\)\n$/);
    const none = await runCliCaptured(['sweep'], { env: {} });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no subscription to sweep: pass --subscription/);
    expect((await runCliCaptured(['sweep', '--bogus'])).code).toBe(2);
    expect((await runCliCaptured(['sweep', '--help'])).stdout).toMatch(/^Usage: jit-guardrail sweep/);
  });
});
