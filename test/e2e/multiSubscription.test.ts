import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JitActor } from '../../sandbox/jitActor.js';
import { LOCATION, RESOURCE_GROUP, SUBSCRIPTION, TestWorld } from '../support/world.js';

const SECOND = 'bbbbbbbb-0000-4000-8000-000000000002';
const UNGUARDED = 'cccccccc-0000-4000-8000-000000000003';

/** One deployment, several subscriptions: each guarded one's events are acted on, no other's. */
describe('the guard across the subscriptions it is given', () => {
  const world = new TestWorld();
  beforeAll(async () => {
    await world.start({ GUARDRAIL_SWEEP_SUBSCRIPTIONS: `${SUBSCRIPTION},${SECOND}` });
    world.collectEvents();
  });
  afterAll(() => world.stop());

  const openToTheInternet = async (subscriptionId: string, vmName: string) => {
    const vm = world.arm.seedVm({
      subscriptionId,
      resourceGroup: RESOURCE_GROUP,
      name: vmName,
      location: LOCATION,
    });
    const person = new JitActor({
      armUrl: world.arm.url,
      ca: world.arm.ca,
      subscriptionId,
      resourceGroup: RESOURCE_GROUP,
      location: LOCATION,
      upn: 'barbara@contoso.com',
    });
    await person.enable(vm.vmId, [22]);
    await person.request(vm.vmId, 22, '*', 'across subscriptions');
    return vm;
  };
  const allowRules = (nsgId: string) =>
    world.arm.getNsg(nsgId)!.properties.securityRules.filter((r) => r.properties.access === 'Allow');

  it('removes the wildcard JIT rules of each guarded subscription, and touches nothing of another', async () => {
    const first = await openToTheInternet(SUBSCRIPTION, 'multi-a');
    const second = await openToTheInternet(SECOND, 'multi-b');
    const outside = await openToTheInternet(UNGUARDED, 'multi-c');
    world.arm.clearRequestLog();
    const results = await world.deliverInbox();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(allowRules(first.nsgId)).toEqual([]);
    expect(allowRules(second.nsgId)).toEqual([]);
    expect(allowRules(outside.nsgId)).toHaveLength(1);
    expect(world.cardHeadlines().sort()).toEqual([
      'Closed: multi-a port 22 (SSH) was open to the internet',
      'Closed: multi-b port 22 (SSH) was open to the internet',
    ]);
    expect(world.guardrailCalls().filter((c) => c.path.toLowerCase().includes(UNGUARDED))).toEqual([]);
    expect(world.logs.some((l) => l.level === 'warn' && l.message.includes(UNGUARDED))).toBe(true);
  });

  it('guarding a management group: a subscription below it but not listed (created since) is acted on; one outside is not', async () => {
    const LATER = 'dddddddd-0000-4000-8000-000000000004';
    const OUTSIDE = 'eeeeeeee-0000-4000-8000-000000000005';
    world.arm.placeSubscription('contoso-lz', LATER);
    await world.withSettings({ GUARDRAIL_GUARDED_MANAGEMENT_GROUP: 'contoso-lz' }, async () => {
      const later = await openToTheInternet(LATER, 'multi-d');
      const outside = await openToTheInternet(OUTSIDE, 'multi-e');
      const results = await world.deliverInbox();
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      expect(allowRules(later.nsgId)).toEqual([]);
      expect(allowRules(outside.nsgId)).toHaveLength(1);
      expect(world.guardrailCalls().filter((c) => c.path.toLowerCase().includes(OUTSIDE))).toEqual([]);
    });
  });
});
