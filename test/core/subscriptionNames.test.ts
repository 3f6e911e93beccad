import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmCallError } from '../../src/adapters/armCallError.js';
import {
  createSubscriptionGateway,
  type SubscriptionGateway,
} from '../../src/adapters/subscriptionGateway.js';
import { loadConfig } from '../../src/config/settings.js';
import { createArmCredential } from '../../src/adapters/armCredential.js';
import type { Logger } from '../../src/core/logger.js';
import { cacheSubscriptionNames, FAILED_NAME_TTL_MS, NAME_TTL_MS } from '../../src/core/subscriptionNames.js';
import { silentLogger } from '../../src/core/logger.js';
import { TestWorld, SUBSCRIPTION, SUBSCRIPTION_NAME } from '../support/world.js';

function recordingLogger() {
  const warnings: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn: (m) => void warnings.push(m), error() {} };
  return { log, warnings };
}

describe('subscription display names for cards', () => {
  const world = new TestWorld();
  let gateway: SubscriptionGateway;
  beforeAll(async () => {
    await world.start();
    const config = loadConfig(world.env);
    gateway = createSubscriptionGateway(config, createArmCredential(config));
  });
  afterAll(() => world.stop());

  it('reads the name through ARM (GET /subscriptions/{id}); an unknown subscription is an ArmCallError', async () => {
    expect(await gateway.displayName(SUBSCRIPTION)).toBe(SUBSCRIPTION_NAME);
    const other = '11111111-2222-3333-4444-555555555555';
    const failure = await gateway.displayName(other).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ArmCallError);
    expect((failure as ArmCallError).statusCode).toBe(404);
    expect((failure as ArmCallError).message).toContain(`/subscriptions/${other}`);
    world.arm.injectFault(
      { kind: 'status', status: 403, code: 'AuthorizationFailed' },
      { path: /^\/subscriptions\/[^/]+$/, times: 1 },
    );
    const denied = await gateway.displayName(SUBSCRIPTION).catch((e: unknown) => e);
    expect((denied as ArmCallError).kind).toBe('permission-denied');
  });

  it('gives up soon and tries once: a slow or throttled answer costs the card its name, not the alert its time', async () => {
    const config = loadConfig(world.env);
    const quick = createSubscriptionGateway(config, createArmCredential(config), 200);
    world.arm.injectFault({ kind: 'latency', ms: 1_000 }, { path: /^\/subscriptions\/[^/]+$/, times: 1 });
    const started = Date.now();
    const slow = await quick.displayName(SUBSCRIPTION).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(ArmCallError);
    expect(Date.now() - started).toBeLessThan(900);
    world.arm.clearRequestLog();
    world.arm.injectFault(
      { kind: 'status', status: 429, code: 'SubscriptionRequestsThrottled', retryAfter: 30 },
      { path: /^\/subscriptions\/[^/]+$/, times: 1 },
    );
    const throttled = await quick.displayName(SUBSCRIPTION).catch((e: unknown) => e);
    expect((throttled as ArmCallError).kind).toBe('throttled');
    expect(world.arm.countRequests({ path: /^\/subscriptions\/[^/]+$/ })).toBe(1);
    expect(await quick.displayName(SUBSCRIPTION)).toBe(SUBSCRIPTION_NAME);
  });

  it('reads each name once an hour per instance; a failed read warns once, is kept ten minutes, and the last name known stands in', async () => {
    let clock = 0;
    const calls: string[] = [];
    let fail = true;
    const names = cacheSubscriptionNames(
      {
        async displayName(id) {
          calls.push(id);
          if (fail) throw new Error('read subscription failed: permission-denied (HTTP 403)');
          return 'Contoso Production';
        },
      },
      () => new Date(clock),
    );
    const { log, warnings } = recordingLogger();
    expect(await names('SUB-1', log)).toBeUndefined();
    expect(await names('sub-1', log)).toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(warnings).toEqual([
      'cards show subscription SUB-1 without its name for 10 min: read subscription failed: permission-denied (HTTP 403)',
    ]);
    fail = false;
    clock = FAILED_NAME_TTL_MS;
    const [a, b] = await Promise.all([names('SUB-1', log), names('sub-1', log)]);
    expect([a, b]).toEqual(['Contoso Production', 'Contoso Production']);
    expect(calls).toHaveLength(2);
    clock += NAME_TTL_MS - 1;
    await names('sub-1', log);
    expect(calls).toHaveLength(2);
    // An hour on, the read fails: the last name known stands in.
    fail = true;
    clock += 2;
    expect(await names('sub-1', log)).toBe('Contoso Production');
    expect(calls).toHaveLength(3);
  });

  it('an alert waits for a name at most the deadline; the read goes on and serves the next alert', async () => {
    let answer: (name: string) => void = () => {};
    const names = cacheSubscriptionNames(
      { displayName: () => new Promise<string>((resolve) => (answer = resolve)) },
      () => new Date(0),
      50,
    );
    const started = Date.now();
    expect(await names('sub-1', silentLogger)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    answer('Contoso Production');
    expect(await names('sub-1', silentLogger)).toBe('Contoso Production');
  });
});
