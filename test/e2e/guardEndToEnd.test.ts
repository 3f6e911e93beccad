import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { guard } from '../../src/functions/guard.js';
import { JitActor } from '../../sandbox/jitActor.js';
import { LOCATION, RESOURCE_GROUP, SUBSCRIPTION, TestWorld } from '../support/world.js';

describe('guard end to end: real SDK clients against the ARM emulator', () => {
  const world = new TestWorld();
  let barbara: JitActor;
  const saved = { ...process.env };

  beforeAll(async () => {
    await world.start();
    Object.assign(process.env, world.env);
    world.arm.subscribe((event) => guard(event, world.context()));
    barbara = new JitActor({ armUrl: world.arm.url, ca: world.arm.ca, subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, location: LOCATION, upn: 'barbara@contoso.com' });
  });

  afterAll(async () => {
    await world.stop();
    process.env = saved;
  });

  beforeEach(() => {
    world.teams.cards.length = 0;
  });

  it('removes the rule a JIT request with * created, keeps specific and deny rules, and alerts once', async () => {
    const { vmId, nsgId } = world.seedJitVm('vm1');
    await barbara.enable(vmId, [22, 3389]);
    await world.arm.events.idle();
    const denyRules = world.arm.getNsg(nsgId)!.properties.securityRules.map((r) => r.name);
    expect(denyRules).toHaveLength(2);

    await barbara.request(vmId, 3389, '192.127.0.2', 'patching');
    await world.arm.events.idle();
    await barbara.request(vmId, 22, '*', 'debugging the login issue');
    await world.arm.events.idle();

    console.log(JSON.stringify(world.arm.events.deliveries), JSON.stringify(world.logs));
    const rules = world.arm.getNsg(nsgId)!.properties.securityRules;
    const names = rules.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(denyRules));
    const allow = rules.filter((r) => r.properties.access === 'Allow');
    expect(allow).toHaveLength(1);
    expect(allow[0]!.properties.sourceAddressPrefix).toBe('192.127.0.2');

    expect(world.teams.cards).toHaveLength(1);
    const text = JSON.stringify(world.teams.cards[0]!.body);
    expect(text).toContain('barbara@contoso.com');
    expect(text).toContain('debugging the login issue');
    console.log(JSON.stringify(world.teams.cards[0]!.body, null, 1));
    console.log(world.arm.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join('\n'));
  });
});
