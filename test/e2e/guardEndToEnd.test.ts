import { silentLogger } from '../../src/core/logger.js';
import { runtimeFromEnvironment } from '../../src/runtime.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JitActor } from '../../sandbox/jitActor.js';
import { fixture } from '../support/fixtures.js';
import { RESOURCE_GROUP, SUBSCRIPTION, SUBSCRIPTION_NAME, TestWorld } from '../support/world.js';

/** The guard through the real SDK clients against the emulator: JIT writes, events, ARM calls counted. */
describe('guard end to end', () => {
  const world = new TestWorld();
  let barbara: JitActor;
  let vmCount = 0;

  beforeAll(async () => {
    await world.start();
    world.collectEvents();
    barbara = world.actor('barbara@contoso.com');
  });
  afterAll(() => world.stop());
  beforeEach(() => {
    world.teams.cards.length = 0;
    world.inbox.length = 0;
    world.arm.faults.clear();
  });

  /** A VM with JIT enabled on 22 and 3389 (any source may be requested); returns ids and deny rules. */
  async function jitVm(tags?: Record<string, string>) {
    const seeded = world.seedVm(`vm${++vmCount}`, tags ? { tags } : {});
    await barbara.enable(seeded.vmId, [22, 3389]);
    const results = await world.deliverInbox();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const denyRules = world.arm.getNsg(seeded.nsgId)!.properties.securityRules.map((r) => r.name);
    world.arm.clearRequestLog();
    return { ...seeded, name: `vm${vmCount}`, denyRules };
  }

  const rulesOf = (nsgId: string) => world.arm.getNsg(nsgId)!.properties.securityRules;
  const wildcardRules = (nsgId: string) =>
    rulesOf(nsgId).filter((r) => r.properties.access === 'Allow' && r.properties.sourceAddressPrefix === '*');

  it('removes the rule a JIT request with * created, keeps the specific one and the deny rules, alerts once', async () => {
    const vm = await jitVm();
    expect(vm.denyRules).toHaveLength(2);

    await barbara.request(vm.vmId, 3389, '192.127.0.2', 'patching');
    await barbara.request(vm.vmId, 22, '*', 'debugging the login issue');
    const results = await world.deliverInbox();
    expect(results.map((r) => r.status)).not.toContain('rejected');

    const rules = rulesOf(vm.nsgId);
    expect(rules.map((r) => r.name)).toEqual(expect.arrayContaining(vm.denyRules));
    const allow = rules.filter((r) => r.properties.access === 'Allow');
    expect(allow.map((r) => r.properties.sourceAddressPrefix)).toEqual(['192.127.0.2']);

    expect(world.cardFacts()).toHaveLength(1);
    expect(world.cardHeadlines()[0]).toBe(`Closed: ${vm.name} port 22 (SSH) was open to the internet`);
    const facts = world.cardFacts()[0]!;
    expect(facts).toMatchObject({
      Subscription: SUBSCRIPTION_NAME,
      'Subscription id': SUBSCRIPTION,
      'Requested by': 'barbara@contoso.com (through JIT)',
      Justification: 'debugging the login issue',
      VM: `${vm.name} (resource group ${RESOURCE_GROUP})`,
      Port: '22 (SSH)',
      Source: 'any address (*)',
      'Root cause': `the JIT policy of ${vm.name} allows requests from any source`,
      Action: 'removed',
      NSG: `${vm.name}-nsg`,
      'Written by': 'Defender for Cloud JIT (Security RP)',
    });
    expect(facts.Rule).toMatch(/^MicrosoftDefenderForCloud-JITRule--?\d+-[0-9A-F]{32}$/);
    // How long it was open: from the event's time to the end of the DELETE.
    expect(JSON.stringify(world.teams.cards[0]!.body)).toMatch(/Open for \d+ s: opened at /);
  });

  it('writes one audit record per decision, with who asked and what was done', async () => {
    const vm = await jitVm();
    await barbara.request(vm.vmId, 22, '*', 'audited');
    await world.deliverInbox();
    const records = await runtimeFromEnvironment().guardDeps(silentLogger).audit.recent(20);
    const removal = records.find((r) => r.verdict === 'remove' && r.resource === vm.nsgId);
    expect(removal).toMatchObject({
      kind: 'nsg',
      action: 'removed',
      outcome: 'done',
      requester: 'barbara@contoso.com',
      who: 'Defender for Cloud JIT (Security RP)',
    });
    expect(removal!.rule).toMatch(/^MicrosoftDefenderForCloud-JITRule-/);
    // The exposure window: written (the event's time) ≤ DELETE accepted ≤ gone.
    const [written, accepted, gone] = [removal!.writtenAt, removal!.deleteAcceptedAt, removal!.removedAt].map(
      (t) => Date.parse(t ?? ''),
    );
    expect(written! <= accepted! && accepted! <= gone!, JSON.stringify(removal)).toBe(true);
  });

  it('counts ARM calls: remediation = 1 NSG read + 1 rule re-read + 1 delete + LRO polls + 1 JIT policy read', async () => {
    const vm = await jitVm();
    await barbara.request(vm.vmId, 22, '*');
    world.arm.clearRequestLog();
    await world.deliverInbox();
    const calls = world.guardrailCalls();
    expect(
      calls.filter((c) => c.method === 'GET' && /networkSecurityGroups\/[^/]+$/.test(c.path)),
    ).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'GET' && /securityRules\/[^/]+$/.test(c.path))).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
    expect(calls.filter((c) => /jitNetworkAccessPolicies/.test(c.path))).toHaveLength(1);
    const polls = calls.filter((c) => /\/operations\//.test(c.path));
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(calls).toHaveLength(4 + polls.length);
  });

  it('makes exactly one ARM read for a benign NSG write, and none for an irrelevant event', async () => {
    const vm = await jitVm();
    const alice = world.networkClientAs('alice@contoso.com');
    await alice.securityRules.beginCreateOrUpdateAndWait(
      RESOURCE_GROUP,
      `${vm.name}-nsg`,
      'AllowHttpsFromOffice',
      {
        protocol: 'Tcp',
        sourcePortRange: '*',
        destinationPortRange: '443',
        sourceAddressPrefix: '203.0.113.0/24',
        destinationAddressPrefix: '*',
        access: 'Allow',
        priority: 300,
        direction: 'Inbound',
      },
      { updateIntervalInMs: 5 },
    );
    world.arm.clearRequestLog();
    const results = await world.deliverInbox();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(world.guardrailCalls()).toEqual([
      {
        method: 'GET',
        path: expect.stringMatching(new RegExp(`/networkSecurityGroups/${vm.name}-nsg$`)),
        status: 200,
      },
    ]);

    world.arm.clearRequestLog();
    await world.deliver(fixture<unknown[]>('azure/eventgrid-resource-write-success.eventgrid.json'));
    await world.deliver(fixture<unknown[]>('azure/eventgrid-resource-delete-success.cloudevent.json'));
    expect(world.arm.requests).toHaveLength(0);
    expect(world.teams.cards).toHaveLength(0);
  });

  it('handles the same event delivered twice: no second delete, no second alert, no error', async () => {
    const vm = await jitVm();
    await barbara.request(vm.vmId, 22, '*');
    await world.arm.events.idle();
    const [event] = world.inbox
      .splice(0)
      .filter((e) =>
        (e.data as { operationName: string }).operationName.endsWith('networkSecurityGroups/write'),
      );
    await world.deliver(event);
    await world.deliver(event);
    expect(world.guardrailCalls().filter((c) => c.method === 'DELETE')).toHaveLength(1);
    expect(world.teams.cards).toHaveLength(1);
    expect(wildcardRules(vm.nsgId)).toHaveLength(0);
  });

  it('understands CloudEvents 1.0 and one event per rule write', async () => {
    const stopCollecting = world.collectEvents('CloudEventSchemaV1_0');
    world.arm.options.jitWriteStyle = 'rule';
    try {
      const vm = await jitVm();
      await barbara.request(vm.vmId, 3389, 'Internet');
      await world.arm.events.idle();
      const cloudEvents = world.inbox.filter((e) => e.specversion === '1.0');
      world.inbox.length = 0;
      expect(
        cloudEvents.some((e) =>
          (e.data as { operationName: string }).operationName.endsWith('securityRules/write'),
        ),
      ).toBe(true);
      for (const event of cloudEvents) await world.deliver(event);
      expect(rulesOf(vm.nsgId).filter((r) => r.properties.access === 'Allow')).toHaveLength(0);
      expect(world.cardFacts()[0]!).toMatchObject({
        Source: 'the internet (Internet)',
        Port: '3389 (RDP)',
        Action: 'removed',
      });
    } finally {
      stopCollecting();
      world.arm.options.jitWriteStyle = 'nsg';
    }
  });

  it('report mode deletes nothing and says "would remove"', async () => {
    const vm = await jitVm();
    await world.withSettings({ GUARDRAIL_MODE: 'report' }, async () => {
      await barbara.request(vm.vmId, 22, '*');
      await world.deliverInbox();
    });
    expect(world.guardrailCalls().filter((c) => c.method === 'DELETE')).toHaveLength(0);
    expect(wildcardRules(vm.nsgId)).toHaveLength(1);
    expect(world.cardFacts()[0]!).toMatchObject({
      Action: 'would remove (report mode)',
      'Requested by': 'barbara@contoso.com (through JIT)',
    });
  });

  it('an exemption in force keeps the rule, but never silently: audited with its end, one info card', async () => {
    const until = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const vm = await jitVm({ 'jit-guardrail-exempt-until': until });
    await barbara.request(vm.vmId, 22, '*');
    await world.deliverInbox();
    expect(wildcardRules(vm.nsgId)).toHaveLength(1);
    expect(world.guardrailCalls().filter((c) => c.method === 'DELETE')).toHaveLength(0);
    expect(world.teams.cards).toHaveLength(1);
    const facts = world.cardFacts()[0]!;
    expect(JSON.stringify(world.teams.cards[0]!.body)).toMatch(
      /Kept open until [^"]+ \(NSG exempt\): [^"]+ port 22 \(SSH\) is open to the internet/,
    );
    expect(facts).toMatchObject({
      Action: expect.stringMatching(/^kept: the NSG is exempt until \d\d:\d\d:\d\d UTC, /),
      'Requested by': 'barbara@contoso.com (through JIT)',
    });
    const audit = await runtimeFromEnvironment().guardDeps(silentLogger).audit.recent(20);
    expect(
      audit.find((r) => r.resource.toLowerCase() === vm.nsgId.toLowerCase() && r.rule !== '*'),
    ).toMatchObject({
      verdict: 'keep',
      detail: expect.stringMatching(/^exempt until \d{4}-/),
      requester: 'barbara@contoso.com',
    });
    // Another write to the same NSG does not repeat the card for the same rule and exemption.
    await barbara.request(vm.vmId, 3389, '10.0.0.1');
    await world.deliverInbox();
    expect(world.teams.cards).toHaveLength(1);
  });

  it('an exemption tag dated 9999-12-31 exempts nothing: the rule is removed', async () => {
    const vm = await jitVm({ 'jit-guardrail-exempt-until': '9999-12-31' });
    await barbara.request(vm.vmId, 22, '*');
    await world.deliverInbox();
    expect(wildcardRules(vm.nsgId)).toHaveLength(0);
    expect(world.logs.map((l) => l.message).join('\n')).toContain(
      "'9999-12-31' is more than 30 day(s) ahead",
    );
  });

  it('still removes the rule when the JIT policy cannot be read, and says the requester is unknown', async () => {
    const vm = await jitVm();
    await barbara.request(vm.vmId, 22, '*');
    world.arm.injectFault(
      { kind: 'status', status: 403 },
      { path: '/providers/Microsoft.Security/jitNetworkAccessPolicies', method: 'GET' },
    );
    const results = await world.deliverInbox();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(wildcardRules(vm.nsgId)).toHaveLength(0);
    expect(world.cardFacts()[0]!['Requested by']).toBe('unknown (JIT policy could not be read)');
  });

  it('treats a rule that vanished before the delete as already removed', async () => {
    const vm = await jitVm();
    await barbara.request(vm.vmId, 22, '*');
    await world.arm.events.idle();
    const ruleName = wildcardRules(vm.nsgId)[0]!.name;
    // Someone else deletes the rule between the guard's read and its delete: ARM answers 204.
    world.arm.injectFault(
      { kind: 'before', run: () => world.arm.state.removeRule(world.arm.getNsg(vm.nsgId)!, ruleName) },
      { method: 'DELETE' },
    );
    const results = await world.deliverInbox();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(world.guardrailCalls().find((c) => c.method === 'DELETE')?.status).toBe(204);
    expect(world.cardFacts()[0]!).toMatchObject({ Rule: ruleName, Action: 'already removed' });
  });

  it('treats a 404 on delete as already removed', async () => {
    const vm = await jitVm();
    await barbara.request(vm.vmId, 22, '*');
    world.arm.injectFault({ kind: 'status', status: 404, code: 'NotFound' }, { method: 'DELETE' });
    const results = await world.deliverInbox();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(world.cardFacts()[0]!).toMatchObject({ Action: 'already removed' });
  });
});
