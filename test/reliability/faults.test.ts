import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { outboxTimer } from '../../src/functions/outboxTimer.js';
import { reconcileTimer } from '../../src/functions/reconcileTimer.js';
import { runtimeFromEnvironment } from '../../src/runtime.js';
import type { TokenCredential } from '@azure/core-auth';
import { createTableOutbox } from '../../src/adapters/tableOutbox.js';
import { lazyTable } from '../../src/adapters/tableStorage.js';
import { teamsMessage } from '../support/teamsMessage.js';
import type { Fault } from '../../sandbox/emulator/index.js';
import type { SinkAnswer } from '../../sandbox/teamsSink.js';
import { Azurite } from '../support/azurite.js';
import { report } from '../support/reliabilityReport.js';
import { nsgId } from '../../sandbox/emulator/index.js';
import { shapeEvent } from '../../sandbox/emulator/eventPublisher.js';
import { SECURITY_RP_PRINCIPAL } from '../../sandbox/emulator/principal.js';
import { rule } from '../support/nsgBuilders.js';
import { RESOURCE_GROUP, SUBSCRIPTION, TestWorld } from '../support/world.js';

/**
 * Each fault on its own, against the ARM emulator and a real Azurite: in the end the wildcard rule
 * is removed (the invocation may fail loudly first, and Event Grid redelivers), and its alert
 * arrives exactly once.
 */
describe('fault suite', () => {
  const azurite = new Azurite();
  const world = new TestWorld();
  let vmCount = 0;

  const consoleLines: string[] = [];
  beforeAll(async () => {
    for (const method of ['error', 'warn', 'log', 'info'] as const) {
      vi.spyOn(console, method).mockImplementation(
        (...args: unknown[]) => void consoleLines.push(args.map(String).join(' ')),
      );
    }
    await azurite.start();
    await world.start({
      GUARDRAIL_STORAGE_CONNECTION_STRING: azurite.connectionString,
      GUARDRAIL_ARM_MAX_RETRIES: '2',
      GUARDRAIL_TEAMS_MAX_ATTEMPTS: '2',
      GUARDRAIL_TEAMS_TIMEOUT_MS: '300',
    });
    world.collectEvents();
  }, 60_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await world.stop();
    await azurite.stop();
  });
  beforeEach(() => {
    world.arm.faults.clear();
    world.inbox.length = 0;
  });

  let instance = 0;
  /**
   * Event Grid: deliver, and redeliver on failure, a bounded number of times. With `newInstance`
   * each redelivery reaches a fresh instance (a new runtime: nothing of the failed one's memory).
   */
  async function deliverWithRedelivery(event: unknown, attempts = 8, newInstance = false): Promise<number> {
    let failures = 0;
    for (let i = 0; i < attempts; i++) {
      try {
        if (newInstance && i > 0) {
          // Any change of settings builds a new runtime; this one changes nothing else.
          await world.withSettings({ GUARDRAIL_TEAMS_RETRY_DELAY_MS: String(100 + ++instance) }, () =>
            world.deliver(event),
          );
        } else await world.deliver(event);
        return failures;
      } catch {
        failures += 1;
      }
    }
    return failures;
  }

  async function scenario(
    name: string,
    setup: (vm: { nsgId: string; ruleName: string }) => void | Promise<void>,
    options: { afterwards?: () => Promise<void>; newInstance?: boolean } = {},
  ) {
    const vmName = `rvm${++vmCount}`;
    const vm = world.seedVm(vmName);
    const barbara = world.actor('barbara@contoso.com');
    await barbara.enable(vm.vmId, [22]);
    await barbara.request(vm.vmId, 22, '*', `fault ${name}`);
    await world.arm.events.idle();
    const event = world.inbox
      .splice(0)
      .filter((e) =>
        (e.data as { operationName: string }).operationName.endsWith('networkSecurityGroups/write'),
      )
      .pop()!;
    const ruleName = world.arm
      .getNsg(vm.nsgId)!
      .properties.securityRules.find((r) => r.properties.access === 'Allow')!.name;
    await setup({ nsgId: vm.nsgId, ruleName });
    const failures = await deliverWithRedelivery(event, 8, options.newInstance);
    await options.afterwards?.();
    // The outbox timer, run later, sends what Teams did not take during the redeliveries.
    await outboxTimer({} as never, world.context('outboxTimer'));
    const removed = !world.arm
      .getNsg(vm.nsgId)!
      .properties.securityRules.some(
        (r) => r.properties.access === 'Allow' && r.properties.sourceAddressPrefix === '*',
      );
    const cards = world.teams.cards.filter((c) => JSON.stringify(c.body).includes(`fault ${name}`)).length;
    const survived = removed && cards === 1;
    report({
      kind: 'fault',
      name,
      survived,
      alertsLost: cards === 0 ? 1 : 0,
      duplicateAlerts: Math.max(0, cards - 1),
    });
    expect({ removed, cards }).toEqual({ removed: true, cards: 1 });
    return failures;
  }

  const arm = (fault: Fault, where: { method?: string; path?: string; times?: number }) => () =>
    world.arm.injectFault(fault, where);
  const teams =
    (...answers: SinkAnswer[]) =>
    () =>
      world.teams.answerNext(...answers);

  it('ARM 429 with Retry-After on the NSG read', () =>
    scenario(
      '429-retry-after',
      arm({ kind: 'status', status: 429, retryAfter: 1 }, { method: 'GET', path: '/networkSecurityGroups/' }),
    ));
  it('ARM 429 without Retry-After (fails loudly, redelivered)', async () => {
    const failures = await scenario(
      '429-no-retry-after',
      arm({ kind: 'status', status: 429 }, { method: 'GET', path: '/networkSecurityGroups/' }),
    );
    expect(failures).toBe(1);
  });
  it('ARM 429 with Retry-After 0 on the delete', () =>
    scenario(
      '429-retry-after-0',
      arm({ kind: 'status', status: 429, retryAfter: 0 }, { method: 'DELETE', times: 2 }),
    ));
  it('ARM 409 AnotherOperationInProgress', () =>
    scenario(
      '409',
      arm(
        { kind: 'status', status: 409, code: 'AnotherOperationInProgress' },
        { method: 'DELETE', times: 2 },
      ),
    ));
  it('ARM 500 burst on the delete', () =>
    scenario('500-burst', arm({ kind: 'status', status: 500 }, { method: 'DELETE', times: 7 })));
  it('ARM 503 burst on the read', () =>
    scenario(
      '503-burst',
      arm({ kind: 'status', status: 503 }, { method: 'GET', path: '/networkSecurityGroups/', times: 5 }),
    ));
  it('connection reset in the middle of the long-running delete', () =>
    scenario('reset-mid-lro', arm({ kind: 'reset' }, { method: 'GET', path: '/operations/', times: 2 })));
  it('a long-running delete that ends Failed', () =>
    scenario('lro-failed', arm({ kind: 'lro-failed' }, { method: 'DELETE', times: 1 })));
  it('Teams 429', () => scenario('teams-429', teams({ status: 429, retryAfter: '0' })));
  it('Teams 500 for longer than one invocation retries', () =>
    scenario(
      'teams-500',
      teams(
        { status: 500 },
        { status: 500 },
        { status: 500 },
        { status: 500 },
        { status: 500 },
        { status: 500 },
      ),
    ));
  it('a hanging Teams webhook (bounded by the timeout)', () => scenario('teams-hang', teams({ hang: true })));
  it('Teams down for hours: only the outbox timer delivers, once', async () => {
    const down: SinkAnswer[] = Array.from({ length: 40 }, () => ({ status: 503 }));
    await scenario('teams-down-hours', teams(...down), {
      afterwards: async () => {
        world.teams.clearAnswers(); // Teams is back
        // Hours later the backoff has passed.
        vi.useFakeTimers({ toFake: ['Date'] });
        vi.setSystemTime(Date.now() + 3 * 3_600_000);
        try {
          await outboxTimer({} as never, world.context('outboxTimer'));
        } finally {
          vi.useRealTimers();
        }
      },
    });
  });
  it('Azurite down while the event is handled', async () => {
    const port = azurite.port;
    await scenario(
      'azurite-down',
      async () => {
        await azurite.stop();
      },
      {
        afterwards: async () => {
          await azurite.start(port);
        },
      },
    );
  });

  it('the instance dies right after ARM accepted the DELETE: a new one alerts the removal, once', async () => {
    // Every poll of the delete fails, beyond the SDK's retries: the invocation ends like a crash.
    const failures = await scenario(
      'crash-after-delete',
      arm({ kind: 'reset' }, { method: 'GET', path: '/operations/', times: 50 }),
      { newInstance: true },
    );
    expect(failures).toBe(1);
    const audit = await runtimeFromEnvironment().guardDeps(silentLogger).audit.recent(500);
    expect(audit.some((r) => r.action === 'removed' && /earlier attempt/.test(r.detail ?? ''))).toBe(true);
  });
  it('the answer to the DELETE is lost: the retry finds the rule gone, one alert', () =>
    scenario('lost-delete-answer', arm({ kind: 'lost-answer' }, { method: 'DELETE', times: 1 })));

  it('read/delete race: the rule changes under the DELETE and is judged again (still a wildcard)', () =>
    scenario('read-delete-race', ({ nsgId, ruleName }) =>
      world.arm.injectFault(
        {
          kind: 'before',
          run: () => world.arm.changeRule(nsgId, ruleName, { sourceAddressPrefix: 'Internet' }),
        },
        { method: 'DELETE', times: 1 },
      ),
    ));
  it("contention: someone else's write holds the NSG when the DELETE arrives (the emulator's own 429 RetryableError, Retry-After)", async () => {
    let held = '';
    await scenario('contention-429', ({ nsgId }) => {
      held = nsgId;
      world.arm.injectFault(
        { kind: 'before', run: () => world.arm.holdNsg(nsgId, 1_500, 'PutSecurityRuleOperation') },
        { method: 'DELETE', times: 1 },
      );
    });
    const deletes = world.arm.requests.filter((r) => r.method === 'DELETE' && r.path.startsWith(held));
    expect(deletes.map((r) => r.status)).toEqual([429, 202]);
  });
  it('contention answered without Retry-After: reported as contention, redelivered', () =>
    scenario(
      'contention-no-retry-after',
      arm(
        { kind: 'status', status: 429, code: 'RetryableErrorDueToAnotherOperation' },
        { method: 'DELETE', times: 2 },
      ),
    ));
  it('outbox takeover: a sender dies holding an alert; another instance sends it once, after the lease', async () => {
    const text = 'fault outbox-takeover';
    // Instance A writes the alert and claims it, then dies before sending.
    const a = createTableOutbox(
      lazyTable(
        { kind: 'connection-string', value: azurite.connectionString },
        'GuardrailOutbox',
        {} as TokenCredential,
      ),
      () => silentLogger,
    );
    await a.enqueue({ key: text, eventId: 'takeover', message: teamsMessage(text) });
    const [heldByA] = await a.claimUnsent('takeover');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // B's outbox timer runs every minute; its clock is an hour ahead of A's.
      const t0 = Date.now() + 3_600_000;
      for (const minutes of [0, 1, 5, 9, 11, 12, 30]) {
        vi.setSystemTime(t0 + minutes * 60_000);
        await outboxTimer({} as never, world.context('outboxTimer'));
      }
      await a.release(heldByA!); // A comes back: its claim is void
      vi.setSystemTime(t0 + 5 * 3_600_000);
      await outboxTimer({} as never, world.context('outboxTimer'));
    } finally {
      vi.useRealTimers();
    }
    const cards = world.teams.cards.filter((c) => JSON.stringify(c.body).includes(text)).length;
    report({
      kind: 'fault',
      name: 'outbox-takeover',
      survived: cards === 1,
      alertsLost: cards === 0 ? 1 : 0,
      duplicateAlerts: Math.max(0, cards - 1),
    });
    expect(cards).toBe(1);
  });

  it('oversized row: 420 wildcard rules on one NSG (an alert key joining their names would pass the 32 K table limit) are removed and alerted once', async () => {
    const name = 'rvm-oversized';
    const id = nsgId(SUBSCRIPTION, RESOURCE_GROUP, name);
    const rules = Array.from({ length: 420 }, (_, i) =>
      rule({
        name: `MicrosoftDefenderForCloud-JITRule-${2000 + i}-${i.toString(16).toUpperCase().padStart(32, '0')}`,
        description: `MDC JIT Network Access rule created by an initiation request for policy 'default' of VM '${name}-${i}'.`,
        source: '*',
        priority: 100 + i,
      }),
    ) as { name: string }[];
    world.arm.seedNsg(id, { location: 'westeurope', properties: { securityRules: rules } });
    const event = shapeEvent(
      {
        id: `${name}-event`,
        time: new Date().toISOString(),
        fact: {
          type: 'Microsoft.Resources.ResourceWriteSuccess',
          subscriptionId: SUBSCRIPTION,
          tenantId: world.arm.state.tenantId,
          resourceUri: id,
          operationName: 'Microsoft.Network/networkSecurityGroups/write',
          principal: SECURITY_RP_PRINCIPAL,
          correlationId: `${name}-corr`,
          httpMethod: 'PUT',
          url: `${world.arm.url}${id}`,
        },
      },
      'EventGridSchema',
    );
    await deliverWithRedelivery(event);
    await outboxTimer({} as never, world.context('outboxTimer'));
    const cards = world.teams.cards.filter((c) => JSON.stringify(c.body).includes(name));
    const left = world.arm.getNsg(id)!.properties.securityRules.length;
    report({
      kind: 'fault',
      name: 'oversized-alert-row',
      survived: cards.length === 1 && left === 0,
      alertsLost: cards.length === 0 ? 1 : 0,
      duplicateAlerts: Math.max(0, cards.length - 1),
    });
    expect({ cards: cards.length, left }).toEqual({ cards: 1, left: 0 });
    // The key this alert once had (event, NSG, every rule and action) would not fit a table property.
    const oldKey = `${name}-event|${id.toLowerCase()}|${rules.map((r) => `${r.name}:removed`).join(',')}`;
    expect(oldKey.length).toBeGreaterThan(32_768);
  }, 180_000);

  it('role read gap: ARM lists leave a role out for 2 s after a write; another instance (its timer, then the write event) creates nothing and alerts nothing', async () => {
    const lag = world.arm.options.roleReadLagMs;
    world.arm.options.roleReadLagMs = 2_000;
    const before = world.teams.cards.length;
    const stopCollecting = world.collectEvents();
    try {
      await reconcileTimer({} as never, world.context('reconcileTimer')); // instance A creates the role
      // Instance B, inside the gap: its timer runs, and it handles A's write event.
      await world.withSettings({ GUARDRAIL_TEAMS_RETRY_DELAY_MS: '9' }, async () => {
        await reconcileTimer({} as never, world.context('reconcileTimer'));
        const delivered = await world.deliverInbox();
        expect(delivered.length).toBeGreaterThan(0);
        expect(delivered.filter((d) => d.status !== 'fulfilled')).toEqual([]);
      });
    } finally {
      stopCollecting();
      world.arm.options.roleReadLagMs = lag;
    }
    const cards = world.teams.cards.length - before;
    const roles = world.arm.roles.allLatest().length;
    report({
      kind: 'fault',
      name: 'role-read-gap',
      survived: cards === 1 && roles === 1,
      alertsLost: cards === 0 ? 1 : 0,
      duplicateAlerts: Math.max(0, cards - 1),
    });
    expect({ cards, roles }).toEqual({ cards: 1, roles: 1 });
  });

  it('no log line of all the above holds the webhook URL, its signature, a token or a storage key', () => {
    const lines = [...world.logs.map((l) => l.message), ...consoleLines];
    expect(lines.length).toBeGreaterThan(20);
    const secrets = [
      world.teams.url,
      'sig=local-test-signature',
      'jit-guardrail-local-emulator',
      /AccountKey=(?!REDACTED)/.source,
    ];
    for (const line of lines) {
      for (const secret of secrets)
        expect(new RegExp(secret.replace(/[.?]/g, '\\$&')).test(line), line).toBe(false);
    }
  });
});
