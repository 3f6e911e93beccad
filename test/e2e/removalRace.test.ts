import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JitActor } from '../../sandbox/jitActor.js';
import { silentLogger } from '../../src/core/logger.js';
import { runtimeFromEnvironment } from '../../src/runtime.js';
import { TestWorld } from '../support/world.js';

/**
 * Only what was judged is removed: a rule narrowed to one address after the guard read the NSG is
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
  });

  async function wildcardRule() {
    const vm = world.seedVm(`race${++vmCount}`);
    await barbara.enable(vm.vmId, [22]);
    await barbara.request(vm.vmId, 22, '*', `race ${vmCount}`);
    await world.arm.events.idle();
    const event = world.inbox
      .splice(0)
      .filter((e) =>
        (e.data as { operationName: string }).operationName.endsWith('networkSecurityGroups/write'),
      )
      .pop()!;
    const rule = world.arm
      .getNsg(vm.nsgId)!
      .properties.securityRules.find((r) => r.properties.access === 'Allow')!;
    world.arm.clearRequestLog();
    return { vm, event, ruleName: rule.name };
  }
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
});
