import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { sweep } from '../../src/core/sweep.js';
import { runtimeFromEnvironment } from '../../src/runtime.js';
import type { JitActor } from '../../sandbox/jitActor.js';
import { RESOURCE_GROUP, SUBSCRIPTION, TestWorld } from '../support/world.js';

/** One removal, one alert — however many looks see it — and only the rule as judged is removed. */
describe('each removal is alerted once, whoever looks', () => {
  const world = new TestWorld();
  let barbara: JitActor;
  let vmCount = 0;

  beforeAll(async () => {
    await world.start({ GUARDRAIL_ARM_MAX_RETRIES: '1' });
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

  async function wildcardRule(justification: string) {
    const vm = world.seedVm(`once${++vmCount}`);
    await barbara.enable(vm.vmId, [22]);
    await barbara.request(vm.vmId, 22, '*', justification);
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
    return { vm, event, ruleName: rule.name };
  }
  const cardsAbout = (text: string) =>
    world.teams.cards.filter((c) => JSON.stringify(c.body).includes(text)).length;

  it('the same event delivered twice at once (one removes, one finds it gone): one card', async () => {
    const { event } = await wildcardRule('twice at once');
    await Promise.allSettled([world.deliver(event), world.deliver(event)]);
    await world.deliver(event).catch(() => undefined); // a redelivery of whichever failed
    expect(cardsAbout('twice at once')).toBe(1);
  });

  it('the NSG is deleted after ARM accepted the DELETE and the instance died: the redelivery still alerts, once', async () => {
    const { vm, event } = await wildcardRule('nsg deleted later');
    world.arm.injectFault({ kind: 'reset' }, { method: 'GET', path: '/operations/', times: 50 });
    await expect(world.deliver(event)).rejects.toThrow();
    world.arm.faults.clear();
    await world
      .networkClientAs('alice@contoso.com')
      .networkSecurityGroups.beginDeleteAndWait(RESOURCE_GROUP, vm.nsgId.split('/').pop()!, {
        updateIntervalInMs: 1,
      });
    expect(world.arm.getNsg(vm.nsgId)).toBeUndefined();
    await world.deliver(event);
    await world.deliver(event);
    expect(cardsAbout('nsg deleted later')).toBe(1);
  });

  it('the sweep also deletes only the rule as judged (If-Match): a rule narrowed under its DELETE is kept', async () => {
    world.arm.events.deliveryEnabled = false;
    const { vm, ruleName } = await wildcardRule('sweep race');
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
});
