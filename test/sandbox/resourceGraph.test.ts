import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmCallError } from '../../src/adapters/armCallError.js';
import { createArmCredential } from '../../src/adapters/armCredential.js';
import { CANDIDATE_NSG_QUERY, createResourceGraphGateway } from '../../src/adapters/resourceGraphGateway.js';
import { loadConfig } from '../../src/config/settings.js';
import { nsgId } from '../../sandbox/emulator/index.js';
import { armRequest } from '../support/armRequest.js';
import { fixture } from '../support/fixtures.js';
import { TestWorld } from '../support/world.js';

const SUBS = ['11111111-0000-4000-8000-000000000001', '11111111-0000-4000-8000-000000000002'];
const jitAllow = (n: number) => ({
  name: `MicrosoftDefenderForCloud-JITRule-${n}-0123456789ABCDEF0123456789ABCDEF`,
  properties: {
    protocol: '*',
    sourcePortRange: '*',
    destinationPortRange: '22',
    sourceAddressPrefix: '*',
    destinationAddressPrefix: '*',
    access: 'Allow',
    priority: 100 + n,
    direction: 'Inbound',
  },
});
const jitDeny = {
  name: 'MicrosoftDefenderForCloud-JITRule_1_0123456789ABCDEF0123456789ABCDEF',
  properties: { ...jitAllow(0).properties, access: 'Deny', priority: 1000 },
};

describe('Resource Graph, as the emulator serves it and the SDK asks it', () => {
  const world = new TestWorld({ resourceGraphLagMs: 300, pageSize: 2 });
  let gateway: ReturnType<typeof createResourceGraphGateway>;
  const waits: number[] = [];
  beforeAll(async () => {
    await world.start();
    for (const [s, sub] of SUBS.entries()) {
      for (let i = 0; i < 3; i++)
        world.arm.seedNsg(nsgId(sub, 'rg', `jit-${s}-${i}`), {
          properties: { securityRules: [jitAllow(i)] },
        });
      world.arm.seedNsg(nsgId(sub, 'rg', `deny-only-${s}`), { properties: { securityRules: [jitDeny] } });
      world.arm.seedNsg(nsgId(sub, 'rg', `plain-${s}`), { properties: { securityRules: [] } });
    }
    world.arm.seedNsg(nsgId('99999999-0000-4000-8000-000000000009', 'rg', 'elsewhere'), {
      properties: { securityRules: [jitAllow(9)] },
    });
    const config = loadConfig(world.env);
    gateway = createResourceGraphGateway(config, createArmCredential(config), async (ms) => {
      waits.push(ms);
      await new Promise((r) => setTimeout(r, Math.min(ms, 1_500)));
    });
  });
  afterAll(() => world.stop());

  const all = async (subs: readonly string[]) => {
    const pages: string[][] = [];
    for await (const page of gateway.candidateNsgPages(subs)) pages.push(page);
    return pages;
  };

  it('finds only NSGs with JIT allow rules, in the subscriptions asked, sorted by id, in one query', async () => {
    world.arm.clearRequestLog();
    const pages = await all(SUBS);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.map((id) => id.split('/').pop())).toEqual([
      'jit-0-0',
      'jit-0-1',
      'jit-0-2',
      'jit-1-0',
      'jit-1-1',
      'jit-1-2',
    ]);
    const calls = world.arm.requests.filter((r) => r.path.includes('ResourceGraph'));
    expect(calls.map((c) => [c.method, c.query])).toEqual([['POST', '?api-version=2024-04-01']]);
    expect(calls[0]!.body).toMatchObject({ query: CANDIDATE_NSG_QUERY, subscriptions: SUBS });
  });

  it('answers in the published shape, pages with $skipToken, and gives none to a query that limits itself', async () => {
    const example = fixture<{ responses: { 200: { body: Record<string, unknown> } } }>(
      'arm/resourcegraph/examples/ResourcesFirstPageQuery.json',
    ).responses[200].body;
    const ask = (options: Record<string, unknown>, query = CANDIDATE_NSG_QUERY) =>
      armRequest(
        world.arm.url,
        world.arm.ca,
        'POST',
        '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01',
        {
          body: { subscriptions: SUBS, query, options },
        },
      );
    const first = await ask({ $top: 4 });
    expect(first.status).toBe(200);
    const body = first.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(Object.keys(example).sort());
    expect(body).toMatchObject({ totalRecords: 6, count: 4, resultTruncated: 'false' });
    const second = (await ask({ $top: 4, $skipToken: body.$skipToken })).body as Record<string, unknown>;
    expect(second).toMatchObject({ count: 2 });
    expect(second).not.toHaveProperty('$skipToken');
    const limited = (await ask({ $top: 2 }, `${CANDIDATE_NSG_QUERY} | limit 5`)).body as Record<
      string,
      unknown
    >;
    expect(limited).toMatchObject({ count: 2 });
    expect(limited).not.toHaveProperty('$skipToken');
    expect(first.headers['x-ms-user-quota-remaining']).toMatch(/^\d+$/);
    expect(first.headers['x-ms-user-quota-resets-after']).toMatch(/^\d\d:\d\d:\d\d$/);
    expect((await ask({}, 'resources | mv-expand properties.securityRules')).status).toBe(400);
  });

  it('lags ARM: a rule JIT just wrote is not there yet, and is after the lag', async () => {
    const id = nsgId(SUBS[0]!, 'rg', 'new-one');
    world.arm.seedNsg(id, { properties: { securityRules: [] } });
    world.arm.state.putNsg(id, { properties: { securityRules: [jitAllow(7)] } });
    expect((await all([SUBS[0]!])).flat()).not.toContain(id);
    await new Promise((r) => setTimeout(r, 350));
    expect((await all([SUBS[0]!])).flat()).toContain(id);
  });

  it('waits out its own quota (x-ms-user-quota-resets-after), then goes on; other failures are ArmCallErrors', async () => {
    const expected = (await all(SUBS)).flat().length;
    world.arm.options.resourceGraphQuota = { queries: 1, windowMs: 1_000 };
    try {
      waits.length = 0;
      // One query a second: the second sweep must wait for the window, as the header says.
      expect((await all(SUBS)).flat()).toHaveLength(expected);
      expect((await all(SUBS)).flat()).toHaveLength(expected);
      expect(waits.length).toBeGreaterThanOrEqual(1);
      for (const wait of waits) expect(wait > 0 && wait <= 1_100, String(wait)).toBe(true);
      world.arm.injectFault(
        { kind: 'status', status: 403, code: 'AuthorizationFailed' },
        { path: /ResourceGraph/, times: 1 },
      );
      await new Promise((r) => setTimeout(r, 1_000));
      const error = await all(SUBS).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArmCallError);
      expect((error as ArmCallError).kind).toBe('permission-denied');
    } finally {
      world.arm.options.resourceGraphQuota = { queries: 15, windowMs: 5_000 };
    }
  });
});
