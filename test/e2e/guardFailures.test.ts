import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/settings.js';
import { RemediationFailedError } from '../../src/core/guardEvent.js';
import { InvalidEventError } from '../../src/lib/events/parseGuardEvent.js';
import { TeamsDeliveryError } from '../../src/adapters/teamsWebhook.js';
import type { JitActor } from '../../sandbox/jitActor.js';
import { SUBSCRIPTION, TestWorld } from '../support/world.js';

/** Every way an ARM or Teams call can fail: the invocation fails loudly, nothing is lost. */
describe('guard failures', () => {
  const world = new TestWorld();
  let barbara: JitActor;
  let vmCount = 0;

  beforeAll(async () => {
    await world.start({ GUARDRAIL_ARM_MAX_RETRIES: '2', GUARDRAIL_TEAMS_MAX_ATTEMPTS: '2' });
    world.collectEvents();
    barbara = world.actor('barbara@contoso.com');
  });
  afterAll(() => world.stop());
  beforeEach(() => {
    world.teams.cards.length = 0;
    world.inbox.length = 0;
    world.logs.length = 0;
    world.arm.faults.clear();
  });

  /** A VM whose NSG now holds a wildcard JIT rule; returns the pending NSG write event. */
  async function wildcardRequest() {
    const name = `fvm${++vmCount}`;
    const vm = world.seedVm(name);
    await barbara.enable(vm.vmId, [22]);
    await barbara.request(vm.vmId, 22, '*', 'late night fix');
    await world.arm.events.idle();
    const event = world.inbox
      .splice(0)
      .filter(
        (e) =>
          (e.data as { operationName: string }).operationName ===
          'Microsoft.Network/networkSecurityGroups/write',
      )
      .pop()!;
    const rule = world.arm
      .getNsg(vm.nsgId)!
      .properties.securityRules.find((r) => r.properties.access === 'Allow')!;
    world.arm.clearRequestLog();
    return { ...vm, name, event, ruleName: rule.name };
  }

  const ruleStillThere = (nsgId: string, ruleName: string) =>
    world.arm.getNsg(nsgId)!.properties.securityRules.some((r) => r.name === ruleName);
  const deletes = () => world.guardrailCalls().filter((c) => c.method === 'DELETE').length;

  it("the subscription's name refused (a role without subscriptions/read): the rule goes, the alert goes with the id, one warning", async () => {
    // Other settings: a new runtime, so no name is cached yet.
    await world.withSettings({ GUARDRAIL_TEAMS_TIMEOUT_MS: '2001' }, async () => {
      const vm = await wildcardRequest();
      world.arm.injectFault(
        { kind: 'status', status: 403, code: 'AuthorizationFailed' },
        { method: 'GET', path: /^\/subscriptions\/[^/]+$/, times: 1 },
      );
      await world.deliver(vm.event);
      expect(ruleStillThere(vm.nsgId, vm.ruleName)).toBe(false);
      expect(world.cardFacts()).toHaveLength(1);
      expect(world.cardFacts()[0]).toMatchObject({ Subscription: SUBSCRIPTION });
      expect(world.cardFacts()[0]).not.toHaveProperty('Subscription id');
      const warnings = world.logs.filter((l) => l.message.includes('without its name'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 'warn' });
      expect(warnings[0]!.message).toContain('permission-denied (HTTP 403');
    });
  });

  it('403 on delete: fails loudly, names subscription, NSG and rule, and alerts that permission is missing', async () => {
    const vm = await wildcardRequest();
    world.arm.injectFault(
      { kind: 'status', status: 403, code: 'AuthorizationFailed' },
      { method: 'DELETE', times: 5 },
    );
    const error = await world.deliver(vm.event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemediationFailedError);
    expect(ruleStillThere(vm.nsgId, vm.ruleName)).toBe(true);
    const logged = world.logs
      .filter((l) => l.level === 'error')
      .map((l) => l.message)
      .join('\n');
    expect(logged).toContain(`/subscriptions/${SUBSCRIPTION}/`);
    expect(logged).toContain(`/networkSecurityGroups/${vm.name}-nsg/securityRules/${vm.ruleName}`);
    expect(logged).toContain('permission-denied (HTTP 403 AuthorizationFailed)');
    expect(world.teams.cards).toHaveLength(1);
    expect(JSON.stringify(world.teams.cards[0]!.body)).toContain('The guardrail lacks permission');
    expect(world.cardFacts()[0]!).toMatchObject({
      Action: expect.stringMatching(/^FAILED to remove: permission-denied/),
    });
  });

  it.each([
    [
      '409 AnotherOperationInProgress',
      { kind: 'status', status: 409, code: 'AnotherOperationInProgress' } as const,
      1,
    ],
    ['500 after the SDK retries', { kind: 'status', status: 500 } as const, 3],
    ['503 after the SDK retries', { kind: 'status', status: 503, retryAfter: 0 } as const, 3],
    [
      'a long-running operation that ends Failed',
      { kind: 'lro-failed', code: 'InternalServerError' } as const,
      1,
    ],
    ['connection resets after the SDK retries', { kind: 'reset' } as const, 3],
  ])(
    '%s: fails loudly, no alert yet; the redelivery removes the rule and alerts once',
    async (_label, fault, expectedDeletes) => {
      const vm = await wildcardRequest();
      world.arm.injectFault(fault, { method: 'DELETE', times: expectedDeletes });
      const error = await world.deliver(vm.event).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemediationFailedError);
      expect(deletes()).toBe(expectedDeletes);
      expect(ruleStillThere(vm.nsgId, vm.ruleName)).toBe(true);
      expect(world.teams.cards).toHaveLength(0);
      expect(world.logs.some((l) => l.level === 'error' && l.message.includes(vm.ruleName))).toBe(true);

      await world.deliver(vm.event);
      expect(ruleStillThere(vm.nsgId, vm.ruleName)).toBe(false);
      expect(world.teams.cards).toHaveLength(1);
      expect(world.cardFacts()[0]!).toMatchObject({
        Rule: vm.ruleName,
        Action: 'removed',
        'Requested by': 'barbara@contoso.com (through JIT)',
      });
    },
  );

  it('a burst of 500s within the SDK retries is absorbed', async () => {
    const vm = await wildcardRequest();
    world.arm.injectFault({ kind: 'status', status: 500 }, { method: 'DELETE', times: 2 });
    await world.deliver(vm.event);
    expect(deletes()).toBe(3);
    expect(ruleStillThere(vm.nsgId, vm.ruleName)).toBe(false);
    expect(world.teams.cards).toHaveLength(1);
  });

  it('429 with Retry-After (even 0) is retried by the SDK; without Retry-After it fails loudly', async () => {
    const vm = await wildcardRequest();
    world.arm.injectFault(
      { kind: 'status', status: 429, retryAfter: 0 },
      { method: 'GET', path: '/networkSecurityGroups/' },
    );
    await world.deliver(vm.event);
    expect(ruleStillThere(vm.nsgId, vm.ruleName)).toBe(false);

    const other = await wildcardRequest();
    world.arm.injectFault(
      { kind: 'status', status: 429 },
      { method: 'GET', path: '/networkSecurityGroups/' },
    );
    await expect(world.deliver(other.event)).rejects.toThrow(/read NSG failed .*throttled \(HTTP 429/);
    expect(ruleStillThere(other.nsgId, other.ruleName)).toBe(true);
    await world.deliver(other.event);
    expect(ruleStillThere(other.nsgId, other.ruleName)).toBe(false);
  });

  it('Teams down: the rule is removed first, the invocation fails, and the redelivery alerts exactly once', async () => {
    const vm = await wildcardRequest();
    world.teams.answerNext({ status: 500 }, { status: 502 });
    const error = await world.deliver(vm.event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TeamsDeliveryError);
    expect(ruleStillThere(vm.nsgId, vm.ruleName)).toBe(false);
    expect(world.teams.cards).toHaveLength(0);

    await world.deliver(vm.event);
    await world.deliver(vm.event);
    expect(deletes()).toBe(1);
    expect(world.teams.cards).toHaveLength(1);
    expect(world.cardFacts()[0]!).toMatchObject({ Rule: vm.ruleName, Action: 'removed' });
  });

  it('an NSG that cannot be read fails the invocation', async () => {
    const vm = await wildcardRequest();
    world.arm.injectFault(
      { kind: 'status', status: 500 },
      { method: 'GET', path: '/networkSecurityGroups/', times: 3 },
    );
    await expect(world.deliver(vm.event)).rejects.toThrow(
      /read NSG failed for \/subscriptions\/.*server-error \(HTTP 500/,
    );
    expect(deletes()).toBe(0);
  });

  it('an NSG deleted before the guard reads it is nothing to do', async () => {
    const vm = await wildcardRequest();
    world.arm.state.nsgs.clear();
    await world.deliver(vm.event);
    expect(world.guardrailCalls()).toEqual([expect.objectContaining({ method: 'GET', status: 404 })]);
  });

  it.each([
    ['garbage', 'garbage'],
    [
      'an NSG write without data',
      {
        id: '1',
        subject: 's',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        eventTime: '2026-01-01T00:00:00Z',
        dataVersion: '2',
      },
    ],
    [
      'a wrong-typed resourceUri',
      {
        id: '1',
        subject: 's',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        eventTime: '2026-01-01T00:00:00Z',
        dataVersion: '2',
        data: { operationName: 'Microsoft.Network/networkSecurityGroups/write', resourceUri: 42 },
      },
    ],
  ])('malformed event (%s): a clear error and no ARM call', async (_label, event) => {
    world.arm.clearRequestLog();
    const error = await world.deliver(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(
      world.logs.some((l) => l.level === 'error' && l.message.startsWith('InvalidEventError: invalid event')),
    ).toBe(true);
    expect(world.arm.requests).toHaveLength(0);
  });

  it('a bad setting fails the invocation with a message naming it, before any ARM call', async () => {
    const vm = await wildcardRequest();
    await world.withSettings({ GUARDRAIL_MODE: 'yolo' }, async () => {
      const error = await world.deliver(vm.event).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain("GUARDRAIL_MODE: must be 'enforce' or 'report'");
    });
    expect(world.arm.requests).toHaveLength(0);
  });

  it('never logs the webhook URL or its signature', async () => {
    const vm = await wildcardRequest();
    world.teams.answerNext({ status: 500 }, { status: 500 });
    await world.deliver(vm.event).catch(() => undefined);
    const text = world.logs.map((l) => l.message).join('\n');
    expect(text).not.toContain('sig=');
    expect(text).not.toContain(world.teams.url);
  });

  it('an event of a subscription this deployment does not guard is ignored: no ARM call, the rule is left to its owners', async () => {
    const vm = await wildcardRequest();
    const elsewhere = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    const event = JSON.parse(JSON.stringify(vm.event).replaceAll(SUBSCRIPTION, elsewhere)) as unknown;
    await world.deliver(event);
    expect(world.guardrailCalls()).toEqual([]);
    expect(world.teams.cards).toEqual([]);
    expect(world.logs.map((l) => l.message).join('\n')).toContain(
      `subscription ${elsewhere} is not one this deployment guards`,
    );
    // The same event in the guarded subscription is acted on.
    await world.deliver(vm.event);
    expect(ruleStillThere(vm.nsgId, vm.ruleName)).toBe(false);
  });

  it('an event whose resource id escapes its NSG (%2e%2e) is refused as invalid, with no ARM call', async () => {
    const vm = await wildcardRequest();
    const event = JSON.parse(JSON.stringify(vm.event)) as { data: { resourceUri: string } };
    event.data.resourceUri = event.data.resourceUri.replace(
      /networkSecurityGroups\/[^/]+/,
      'networkSecurityGroups/%2e%2e',
    );
    const error = await world.deliver(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(world.guardrailCalls()).toEqual([]);
  });
});
