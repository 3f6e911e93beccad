import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nsgId } from '../../sandbox/emulator/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { sweep, sweepExitCode, timerRunStrategy, type SweepStrategy } from '../../src/core/sweep.js';
import { findingKey, trimRule } from '../../src/core/removalIntents.js';
import { runtimeFromEnvironment } from '../../src/runtime.js';
import { JitActor } from '../../sandbox/jitActor.js';
import { cardText } from '../support/cardText.js';
import { LOCATION, TestWorld } from '../support/world.js';

const SUBS = [
  'aaaaaaaa-0000-4000-8000-000000000001',
  'aaaaaaaa-0000-4000-8000-000000000002',
  'aaaaaaaa-0000-4000-8000-000000000003',
];

/** The kinds of rule an NSG meets in the wild, around the ones the guardrail must remove. */
const RULE_KINDS = [
  'jit-allow-any',
  'jit-allow-internet',
  'jit-allow-cidr-zero',
  'jit-allow-specific',
  'jit-deny',
  'plain-allow-any',
  'jit-allow-any-outbound',
  'legacy-jit-allow-any',
] as const;
type RuleKind = (typeof RULE_KINDS)[number];

function ruleOf(kind: RuleKind, n: number) {
  const hex = n.toString(16).toUpperCase().padStart(32, '0');
  const jit = kind.startsWith('legacy') ? 'SecurityCenter-JITRule' : 'MicrosoftDefenderForCloud-JITRule';
  const name =
    kind === 'jit-deny'
      ? `${jit}_${1000 + n}_${hex}`
      : kind === 'plain-allow-any'
        ? `AllowAnything${n}`
        : `${jit}-${1000 + n}-${hex}`;
  const source =
    kind === 'jit-allow-internet'
      ? 'Internet'
      : kind === 'jit-allow-cidr-zero'
        ? '0.0.0.0/0'
        : kind === 'jit-allow-specific'
          ? '203.0.113.7'
          : '*';
  return {
    name,
    properties: {
      description: `MDC JIT Network Access rule created by an initiation request for policy 'default' of VM 'vm${n}'.`,
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: String(22 + (n % 3)),
      sourceAddressPrefix: source,
      destinationAddressPrefix: '*',
      access: kind === 'jit-deny' ? 'Deny' : 'Allow',
      priority: (kind === 'jit-deny' ? 1000 : 100) + n,
      direction: kind === 'jit-allow-any-outbound' ? 'Outbound' : 'Inbound',
    },
  };
}

const worlds = fc.array(
  fc.record({
    subscription: fc.integer({ min: 0, max: SUBS.length - 1 }),
    rules: fc.array(fc.constantFrom(...RULE_KINDS), { maxLength: 5 }),
  }),
  { minLength: 1, maxLength: 25 },
);

/**
 * The tenant sweep (one Resource Graph query, then a fresh read of each candidate) must find exactly
 * the rules the per-subscription listing finds, in any world: the differential test.
 */
describe('tenant sweep: Resource Graph and listing find the same rules', () => {
  const world = new TestWorld({ resourceGraphLagMs: 0 });
  let round = 0;
  beforeAll(async () => {
    await world.start();
    // Named before any sweep: a failed name read is remembered for ten minutes.
    world.arm.nameSubscription(SUBS[0]!, 'Contoso Retail');
  });
  afterAll(() => world.stop());

  const wouldRemove = async (strategy: SweepStrategy, subscriptions: readonly string[]) => {
    const deps = runtimeFromEnvironment().guardDeps(silentLogger);
    const summary = await sweep({ subscriptions, reportOnly: true, strategy }, deps);
    expect(summary.strategy).toBe(strategy);
    const records = await deps.audit.recent(10_000);
    return {
      summary,
      rules: records
        .filter((r) => r.correlationId === summary.runId && r.verdict === 'remove')
        .map((r) => `${r.resource.toLowerCase()}|${r.rule}`)
        .sort(),
    };
  };

  it('on random worlds across three subscriptions', async () => {
    await fc.assert(
      fc.asyncProperty(worlds, async (nsgs) => {
        round += 1;
        world.arm.state.nsgs.clear();
        let n = 0;
        for (const [i, spec] of nsgs.entries()) {
          world.arm.seedNsg(nsgId(SUBS[spec.subscription]!, `rg-${round}`, `nsg-${i}`), {
            properties: { securityRules: spec.rules.map((kind) => ruleOf(kind, n++)) },
          });
        }
        const listed = await wouldRemove('listing', SUBS);
        const graphed = await wouldRemove('resource-graph', SUBS);
        expect(graphed.rules).toEqual(listed.rules);
        // Reads scale with candidates: never more NSGs read than listing scanned.
        const scanned = (s: typeof listed.summary) => s.subscriptions.reduce((t, x) => t + x.nsgsScanned, 0);
        expect(scanned(graphed.summary)).toBeLessThanOrEqual(scanned(listed.summary));
      }),
      { numRuns: 8, seed: 20261202 },
    );
  });

  it('falls back to listing where Resource Graph is refused, and says so', async () => {
    world.arm.state.nsgs.clear();
    world.arm.seedNsg(nsgId(SUBS[0]!, 'rg-fallback', 'nsg'), {
      properties: { securityRules: [ruleOf('jit-allow-any', 1)] },
    });
    world.arm.injectFault(
      { kind: 'status', status: 403, code: 'AuthorizationFailed' },
      { path: /ResourceGraph/, times: 1 },
    );
    const deps = runtimeFromEnvironment().guardDeps(silentLogger);
    const summary = await sweep({ subscriptions: SUBS, reportOnly: true }, deps);
    expect(summary.strategy).toBe('listing');
    expect(summary.fallback).toMatch(
      /^Resource Graph could not be used \(query Resource Graph failed .*permission-denied \(HTTP 403/,
    );
    expect(summary.subscriptions[0]!.wouldRemove).toBe(1);
  });

  it('lists a subscription Resource Graph does not show (it leaves out what the guard cannot read), and says so', async () => {
    world.arm.state.nsgs.clear();
    world.arm.seedNsg(nsgId(SUBS[0]!, 'rg-seen', 'nsg'), {
      properties: { securityRules: [ruleOf('jit-allow-any', 1)] },
    });
    const unseen = 'bbbbbbbb-0000-4000-8000-0000000000ee';
    world.arm.clearRequestLog();
    const deps = runtimeFromEnvironment().guardDeps(silentLogger);
    const summary = await sweep({ subscriptions: [SUBS[0]!, unseen], reportOnly: true }, deps);
    expect(summary.strategy).toBe('resource-graph');
    expect(summary.fallback).toBe(
      `Resource Graph shows no subscription ${unseen} (the guard cannot read it there, or it does not exist); listed instead`,
    );
    // ARM answers for it: here an empty list; in Azure, the 403 that makes the run fail loudly.
    expect(
      world.arm.requests.some(
        (r) =>
          r.method === 'GET' &&
          r.path.toLowerCase() ===
            `/subscriptions/${unseen}/providers/microsoft.network/networksecuritygroups`,
      ),
    ).toBe(true);
    expect(summary.subscriptions.map((x) => x.wouldRemove)).toEqual([1, 0]);
    // None shown at all: every one listed, and the run says it listed.
    const blind = await sweep(
      { subscriptions: [unseen, 'cccccccc-0000-4000-8000-0000000000dd'], reportOnly: true },
      deps,
    );
    expect(blind.strategy).toBe('listing');
    expect(blind.fallback).toMatch(/^Resource Graph shows no subscription bbbbbbbb-.*, cccccccc-/);
    expect(sweepExitCode(summary)).toBe(3); // the wildcard rule, in report mode

    // As Azure answers a subscription the guard holds no role in: the run fails, naming it.
    world.arm.injectFault(
      { kind: 'status', status: 403, code: 'AuthorizationFailed' },
      { path: new RegExp(`/subscriptions/${unseen}/providers/Microsoft.Network`, 'i'), times: 10 },
    );
    const refused = await sweep({ subscriptions: [SUBS[0]!, unseen], reportOnly: true }, deps);
    expect(refused.subscriptions[1]!.errors.join(' ')).toMatch(/403/);
    expect(sweepExitCode(refused)).toBe(1);
  });

  it('one JIT policy digest for the whole sweep, grouped by subscription, by name where ARM gives one', async () => {
    for (const [i, sub] of SUBS.slice(0, 2).entries()) {
      const vm = world.arm.seedVm({
        subscriptionId: sub,
        resourceGroup: 'rg-digest',
        name: `digest-${i}`,
        location: LOCATION,
      });
      const admin = new JitActor({
        armUrl: world.arm.url,
        ca: world.arm.ca,
        subscriptionId: sub,
        resourceGroup: 'rg-digest',
        location: LOCATION,
        upn: 'admin@contoso.com',
      });
      await admin.enable(vm.vmId, [22], '*');
    }
    world.teams.cards.length = 0;
    const deps = runtimeFromEnvironment().guardDeps(silentLogger);
    await sweep({ subscriptions: SUBS, reportOnly: true }, deps);
    const digests = world.cardHeadlines().filter((h) => h.startsWith('Root cause'));
    expect(digests).toEqual([
      'Root cause: JIT policies let requesters open 2 ports on 2 VMs in 2 subscriptions to any address',
    ]);
    const text = cardText(world.teams.cards.find((c) => JSON.stringify(c).includes('Root cause'))!.body);
    expect(text).toContain(`Subscription: Contoso Retail (${SUBS[0]})`);
    expect(text).toContain(`Subscription: ${SUBS[1]}`);
    expect(text.indexOf('digest-0')).toBeLessThan(text.indexOf(SUBS[1]!));
    // Unchanged on the next run: not digested again.
    world.teams.cards.length = 0;
    await sweep({ subscriptions: SUBS, reportOnly: true }, deps);
    expect(world.cardHeadlines().filter((h) => h.startsWith('Root cause'))).toEqual([]);
  });

  it('with a management group, every subscription below it is swept, a new one included; if they cannot be found, the run fails loudly', async () => {
    const later = 'aaaaaaaa-0000-4000-8000-0000000000ff';
    world.arm.state.nsgs.clear();
    for (const sub of [...SUBS, later]) world.arm.placeSubscription('contoso-lz', sub);
    world.arm.seedNsg(nsgId(later, 'rg-new', 'nsg'), {
      properties: { securityRules: [ruleOf('jit-allow-any', 3)] },
    });
    const deps = runtimeFromEnvironment().guardDeps(silentLogger);
    const summary = await sweep(
      { subscriptions: [SUBS[0]!], reportOnly: true, managementGroup: 'contoso-lz' },
      deps,
    );
    expect(summary.subscriptions.map((x) => x.subscriptionId)).toEqual([SUBS[0], SUBS[1], SUBS[2], later]);
    expect(summary.subscriptions.find((x) => x.subscriptionId === later)!.wouldRemove).toBe(1);
    expect(summary.strategy).toBe('resource-graph');
    world.arm.injectFault(
      { kind: 'status', status: 403, code: 'AuthorizationFailed' },
      { path: /ResourceGraph/, times: 1 },
    );
    const blind = await sweep(
      { subscriptions: [SUBS[0]!], reportOnly: true, managementGroup: 'contoso-lz' },
      deps,
    );
    expect(blind.incomplete).toMatch(
      /^the subscriptions below management group contoso-lz could not be listed \(query Resource Graph failed/,
    );
    expect(blind.subscriptions.map((x) => x.subscriptionId)).toEqual([SUBS[0]]);
    expect(sweepExitCode(blind)).toBe(1);
  });

  it('several subscriptions default to Resource Graph; one is listed', async () => {
    const deps = runtimeFromEnvironment().guardDeps(silentLogger);
    expect((await sweep({ subscriptions: SUBS, reportOnly: true }, deps)).strategy).toBe('resource-graph');
    expect((await sweep({ subscriptions: [SUBS[0]!], reportOnly: true }, deps)).strategy).toBe('listing');
  });
});

/**
 * An intent left open by an event whose DELETE failed, for a rule newer than Resource Graph's index:
 * the tenant sweep must read the NSG, not take the rule for gone.
 */
describe('tenant sweep and open removal intents', () => {
  const world = new TestWorld({ resourceGraphLagMs: 60_000 });
  beforeAll(() => world.start());
  afterAll(() => world.stop());

  it('reads the NSG of an intent its candidates did not hold, and removes the rule still there', async () => {
    const id = nsgId(SUBS[1]!, 'rg-intent', 'nsg');
    world.arm.seedNsg(id, { properties: { securityRules: [] } });
    // Written just now: Resource Graph will not show it for a minute.
    const written = world.arm.state.putNsg(id, {
      properties: { securityRules: [ruleOf('jit-allow-any', 5)] },
    });
    const rule = written.properties.securityRules[0]!;
    const deps = runtimeFromEnvironment().guardDeps(silentLogger);
    await deps.intents.record([
      {
        key: findingKey(id.toLowerCase(), rule),
        nsgId: id.toLowerCase(),
        rule: trimRule(rule as never),
        eventId: 'event-that-failed',
        recordedAt: new Date().toISOString(),
      },
    ]);
    const summary = await sweep({ subscriptions: SUBS, reportOnly: false, strategy: 'resource-graph' }, deps);
    expect(summary.strategy).toBe('resource-graph');
    expect(world.arm.getNsg(id)!.properties.securityRules).toEqual([]);
    expect(summary.subscriptions[1]!.removed).toBe(1);
    expect(JSON.stringify(world.teams.cards)).not.toContain('an earlier attempt');
  });
});

describe('the timer lists every NSG once a day', () => {
  it('the run at 04:xx UTC lists; every other run takes the default', () => {
    expect(timerRunStrategy(new Date('2026-12-02T04:17:00Z'))).toBe('listing');
    expect(timerRunStrategy(new Date('2026-12-02T05:17:00Z'))).toBeUndefined();
    expect(timerRunStrategy(new Date('2026-12-02T03:59:59Z'))).toBeUndefined();
  });
});
