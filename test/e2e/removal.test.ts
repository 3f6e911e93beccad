import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JitActor } from '../../sandbox/jitActor.js';
import { silentLogger } from '../../src/core/logger.js';
import { sweep } from '../../src/core/sweep.js';
import { runtimeFromEnvironment } from '../../src/runtime.js';
import { RESOURCE_GROUP, SUBSCRIPTION, TestWorld } from '../support/world.js';

/**
 * One removal, one alert — however many looks see it. And only what was judged is removed: a rule narrowed to one address after the guard read the NSG is
 * kept — whether the change lands before the guard's re-read of the rule or between that re-read
 * and the DELETE (the DELETE carries the rule's etag as If-Match, and the emulator honours it).
 */
describe('a rule that changes between the judgement and the DELETE', () => {
  const world = new TestWorld();
  let barbara: JitActor;
  let vmCount = 0;

  beforeAll(async () => {
    await world.start({ GUARDRAIL_ARM_MAX_RETRIES: '2' });
    world.collectEvents();
    barbara = world.actor('barbara@contoso.com');
  });
  afterAll(() => world.stop());
  beforeEach(() => {
    world.teams.cards.length = 0;
    world.inbox.length = 0;
    world.arm.faults.clear();
    world.arm.events.deliveryEnabled = true;
  });

  const wildcardRule = async () => {
    const made = await world.wildcardJitRule(barbara, `race${++vmCount}`, `race ${vmCount}`);
    world.arm.clearRequestLog();
    return made;
  };
  const ruleOf = (nsgId: string, name: string) =>
    world.arm.getNsg(nsgId)!.properties.securityRules.find((r) => r.name === name);
  const narrow = (nsgId: string, name: string) => () =>
    world.arm.changeRule(nsgId, name, { sourceAddressPrefix: '203.0.113.7' });

  it('narrowed before the re-read: kept, no DELETE, no card, the decision audited', async () => {
    const { vm, event, ruleName } = await wildcardRule();
    world.arm.injectFault(
      { kind: 'before', run: narrow(vm.nsgId, ruleName) },
      { method: 'GET', path: `/securityRules/${ruleName}` },
    );
    await world.deliver(event);
    expect(ruleOf(vm.nsgId, ruleName)?.properties.sourceAddressPrefix).toBe('203.0.113.7');
    expect(world.guardrailCalls().filter((c) => c.method === 'DELETE')).toHaveLength(0);
    expect(world.teams.cards).toHaveLength(0);
    const audit = await runtimeFromEnvironment().guardDeps(silentLogger).audit.recent(20);
    expect(audit.find((r) => r.rule === ruleName)).toMatchObject({
      verdict: 'keep',
      detail: 'changed before removal (specific-source)',
    });
  });

  it('narrowed between the re-read and the DELETE: ARM refuses it (412), the rule is read again and kept', async () => {
    const { vm, event, ruleName } = await wildcardRule();
    world.arm.injectFault({ kind: 'before', run: narrow(vm.nsgId, ruleName) }, { method: 'DELETE' });
    await world.deliver(event);
    expect(ruleOf(vm.nsgId, ruleName)?.properties.sourceAddressPrefix).toBe('203.0.113.7');
    const calls = world.guardrailCalls();
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.status)).toEqual([412]);
    expect(calls.filter((c) => c.method === 'GET' && c.path.includes('/securityRules/'))).toHaveLength(2);
    expect(world.teams.cards).toHaveLength(0);
  });

  it('changed but still a wildcard: read again and removed, one card', async () => {
    const { vm, event, ruleName } = await wildcardRule();
    world.arm.injectFault(
      {
        kind: 'before',
        run: () => world.arm.changeRule(vm.nsgId, ruleName, { sourceAddressPrefix: 'Internet' }),
      },
      { method: 'DELETE' },
    );
    await world.deliver(event);
    expect(ruleOf(vm.nsgId, ruleName)).toBeUndefined();
    expect(
      world
        .guardrailCalls()
        .filter((c) => c.method === 'DELETE')
        .map((c) => c.status),
    ).toEqual([412, 202]);
    expect(world.teams.cards).toHaveLength(1);
  });

  it('a rule that keeps changing under the DELETE fails the invocation after 3 judgements (retried later)', async () => {
    const { vm, event, ruleName } = await wildcardRule();
    let flip = 0;
    world.arm.injectFault(
      {
        kind: 'before',
        run: () =>
          world.arm.changeRule(vm.nsgId, ruleName, { sourceAddressPrefix: ++flip % 2 ? 'Internet' : '*' }),
      },
      { method: 'DELETE', times: 3 },
    );
    await expect(world.deliver(event)).rejects.toThrow(/kept changing under the DELETE/);
    expect(ruleOf(vm.nsgId, ruleName)).toBeDefined();
    await world.deliver(event); // Event Grid redelivers; nothing changes it this time
    expect(ruleOf(vm.nsgId, ruleName)).toBeUndefined();
    expect(world.teams.cards).toHaveLength(1);
  });

  const wildcardRuleOnce = (justification: string) =>
    world.wildcardJitRule(barbara, `once${++vmCount}`, justification);
  const cardsAbout = (text: string) =>
    world.teams.cards.filter((c) => JSON.stringify(c.body).includes(text)).length;

  /** The instance dies once ARM accepted the DELETE (every poll fails); then someone deletes the NSG. */
  async function dieAfterAcceptedDeleteThenDeleteNsg(nsgId: string, event: unknown) {
    world.arm.injectFault({ kind: 'reset' }, { method: 'GET', path: '/operations/', times: 50 });
    await expect(world.deliver(event)).rejects.toThrow();
    world.arm.faults.clear();
    await world
      .networkClientAs('alice@contoso.com')
      .networkSecurityGroups.beginDeleteAndWait(RESOURCE_GROUP, nsgId.split('/').pop()!, {
        updateIntervalInMs: 1,
      });
    expect(world.arm.getNsg(nsgId)).toBeUndefined();
  }

  it('the same event delivered twice at once (one removes, one finds it gone): one card', async () => {
    const { event } = await wildcardRuleOnce('twice at once');
    await Promise.allSettled([world.deliver(event), world.deliver(event)]);
    await world.deliver(event).catch(() => undefined); // a redelivery of whichever failed
    expect(cardsAbout('twice at once')).toBe(1);
  });

  it('the NSG is deleted after ARM accepted the DELETE and the instance died: the redelivery still alerts, once', async () => {
    const { vm, event } = await wildcardRuleOnce('nsg deleted later');
    await dieAfterAcceptedDeleteThenDeleteNsg(vm.nsgId, event);
    await world.deliver(event);
    await world.deliver(event);
    expect(cardsAbout('nsg deleted later')).toBe(1);
  });

  it('the sweep also deletes only the rule as judged (If-Match): a rule narrowed under its DELETE is kept', async () => {
    world.arm.events.deliveryEnabled = false;
    const { vm, ruleName } = await wildcardRuleOnce('sweep race');
    world.arm.injectFault(
      {
        kind: 'before',
        run: () => world.arm.changeRule(vm.nsgId, ruleName, { sourceAddressPrefix: '203.0.113.7' }),
      },
      { method: 'DELETE', path: ruleName },
    );
    await sweep(
      { subscriptions: [SUBSCRIPTION], reportOnly: false },
      runtimeFromEnvironment().guardDeps(silentLogger),
    );
    const rule = world.arm.getNsg(vm.nsgId)!.properties.securityRules.find((r) => r.name === ruleName);
    expect(rule?.properties.sourceAddressPrefix).toBe('203.0.113.7');
    expect(cardsAbout('sweep race')).toBe(0);
  });

  it('the NSG is deleted after an accepted DELETE and no event comes again: the sweep alerts the removal, once', async () => {
    const { vm, event } = await wildcardRuleOnce('found by the sweep');
    await dieAfterAcceptedDeleteThenDeleteNsg(vm.nsgId, event);
    const deps = runtimeFromEnvironment().guardDeps(silentLogger);
    await sweep({ subscriptions: [SUBSCRIPTION], reportOnly: false }, deps);
    await sweep({ subscriptions: [SUBSCRIPTION], reportOnly: false }, deps);
    expect(cardsAbout('found by the sweep')).toBe(1);
  });
});

/**
 * As real ARM sends it: the write event comes once ARM accepted JIT's PUT, while the network RP is
 * still applying it, so the guardrail's DELETE meets "another operation is updating" (429).
 */
describe("JIT's own write still under way when the event arrives", () => {
  const world = new TestWorld({ jitWriteHoldMs: 1_000 });
  beforeAll(async () => {
    await world.start();
    world.collectEvents();
  });
  afterAll(() => world.stop());

  it('the DELETE meets 429 contention, waits its Retry-After and removes the rule: one card, the wait in its times', async () => {
    const barbara = world.actor('barbara@contoso.com');
    const { vm, event, ruleName } = await world.wildcardJitRule(barbara, 'busy1', 'patching');
    world.arm.clearRequestLog();
    await world.deliver(event);
    expect(world.arm.getNsg(vm.nsgId)!.properties.securityRules.map((r) => r.name)).not.toContain(ruleName);
    const deletes = world.guardrailCalls().filter((c) => c.method === 'DELETE');
    expect(deletes.map((c) => c.status)).toEqual([429, 202]);
    expect(world.teams.cards).toHaveLength(1);
    expect(world.cardHeadlines()[0]).toBe('Closed: busy1 port 22 (SSH) was open to the internet');
    expect(JSON.stringify(world.teams.cards[0]!.body)).toMatch(/ARM took the delete [1-9]\d* s after/);
    const audit = await runtimeFromEnvironment().guardDeps(silentLogger).audit.recent(5);
    const removed = audit.find((r) => r.rule === ruleName && r.verdict === 'remove')!;
    expect(Date.parse(removed.deleteAcceptedAt!) - Date.parse(removed.writtenAt!)).toBeGreaterThanOrEqual(
      900,
    );
  });
});
