import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryOutbox } from '../../src/core/alertOutbox.js';
import { createMemoryRemovalIntents } from '../../src/core/removalIntents.js';
import { createMemoryAuditTrail } from '../../src/core/auditTrail.js';
import { guardEvent, type GuardDeps } from '../../src/core/guardEvent.js';
import { silentLogger } from '../../src/core/logger.js';
import { InvalidEventError } from '../../src/lib/events/parseGuardEvent.js';
import { evaluateNsg } from '../../src/lib/nsg/evaluateNsg.js';
import { parseNsgDocument } from '../../src/lib/nsg/nsgDocument.js';
import { fixture } from '../support/fixtures.js';
import { nsg, rule } from '../support/nsgBuilders.js';
import { FULL, report } from '../support/reliabilityReport.js';

const EVENTS = FULL ? 10_000 : 1_000;
const NSGS = FULL ? 10_000 : 1_000;
const NSG_URI =
  '/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg';

/** Guard dependencies with no I/O: every would-be ARM call is counted. */
function countingDeps() {
  const calls = { count: 0 };
  const deps: GuardDeps = {
    mode: 'enforce',
    portalUrl: 'https://portal.azure.com',
    nsgs: {
      getNsg: async () => {
        calls.count += 1;
        return parseNsgDocument(nsg([]));
      },
      getRule: async () => {
        calls.count += 1;
        return undefined;
      },
      deleteRule: async () => {
        calls.count += 1;
        return 'deleted';
      },
      listNsgPages: async function* () {
        calls.count += 1;
        yield [];
      },
    },
    jitPolicies: {
      listPolicies: async () => {
        calls.count += 1;
        return [];
      },
    },
    subscriptionNames: async () => {
      calls.count += 1;
      return 'Contoso Production';
    },
    teams: { send: async () => undefined },
    outbox: createMemoryOutbox(),
    intents: createMemoryRemovalIntents(),
    audit: createMemoryAuditTrail(),
    log: silentLogger,
    now: () => new Date('2026-11-25T12:00:00Z'),
    guardedSubscriptions: ['20ff7fc3-e762-44dd-bd96-b71116dcdc23'],
    exemptionMaxDays: 30,
  };
  return { deps, calls };
}

type Json = Record<string, unknown>;
const baseEvents: Json[] = (() => {
  const [eg] = fixture<Json[]>('azure/eventgrid-resource-write-success.eventgrid.json');
  const [ce] = fixture<Json[]>('azure/eventgrid-resource-write-success.cloudevent.json');
  const nsgWrite = (e: Json) => ({
    ...e,
    subject: NSG_URI,
    data: {
      ...(e.data as Json),
      operationName: 'Microsoft.Network/networkSecurityGroups/write',
      resourceUri: NSG_URI,
      subscriptionId: '20ff7fc3-e762-44dd-bd96-b71116dcdc23',
    },
  });
  return [
    eg!,
    ce!,
    nsgWrite(eg!),
    nsgWrite(ce!),
    fixture<Json[]>('azure/eventgrid-subscription-validation.eventgrid.json')[0]!,
    fixture<Json[]>('azure/eventgrid-resource-delete-success.eventgrid.json')[0]!,
  ];
})();

/** Mutations of real events: drop, replace or retype a field (top level or in data), rename keys, wrap. */
const mutatedEvent = fc
  .tuple(
    fc.constantFrom(...baseEvents),
    fc.array(
      fc.tuple(
        fc.constantFrom('drop', 'replace', 'data-drop', 'data-replace', 'upper-keys'),
        fc.nat(),
        fc.anything(),
      ),
      { maxLength: 4 },
    ),
    fc.constantFrom('object', 'array', 'text', 'array2'),
  )
  .map(([base, mutations, wrap]) => {
    const event: Json = JSON.parse(JSON.stringify(base));
    for (const [kind, pick, value] of mutations) {
      const data = typeof event.data === 'object' && event.data !== null ? (event.data as Json) : undefined;
      const target = kind.startsWith('data') ? data : event;
      if (!target) continue;
      const keys = Object.keys(target);
      const key = keys[pick % Math.max(1, keys.length)];
      if (key === undefined) continue;
      if (kind.endsWith('drop')) delete target[key];
      else if (kind.endsWith('replace')) target[key] = value;
      else for (const k of keys) target[k.toUpperCase()] = target[k];
    }
    if (wrap === 'array') return [event];
    if (wrap === 'array2') return [event, event];
    if (wrap === 'text') return JSON.stringify(event);
    return event;
  });

/** Independent of the parser: could this delivery be a relevant write at all? */
function mightBeRelevant(delivered: unknown): boolean {
  let value = delivered;
  try {
    if (typeof value === 'string') value = JSON.parse(value);
  } catch {
    return false;
  }
  if (Array.isArray(value)) value = value.length === 1 ? value[0] : undefined;
  // Keys are read whatever their case (real events have carried PascalCase ones).
  const readFrom = (record: unknown, k: string) =>
    typeof record === 'object' && record !== null
      ? Object.entries(record).find(([key]) => key.toLowerCase() === k.toLowerCase())?.[1]
      : undefined;
  const data = readFrom(value, 'data');
  if (typeof data !== 'object' || data === null) return false;
  const read = (k: string) => readFrom(data, k);
  const op = String(read('operationName') ?? '').toLowerCase();
  // Role writes belong to the reconciler app: the guard makes no call for them.
  return op.startsWith('microsoft.network/networksecuritygroups');
}

describe('fuzz: arbitrary and mutated events', () => {
  it(`${EVENTS.toLocaleString('en')} deliveries: no crash, a clear error or nothing, ARM calls only for relevant writes`, async () => {
    const { deps, calls } = countingDeps();
    let crashes = 0;
    let strayCalls = 0;
    const seen = { invalid: 0, acted: 0, quiet: 0 };
    const samples = fc.sample(
      fc.oneof(
        { arbitrary: fc.anything(), weight: 1 },
        { arbitrary: fc.jsonValue(), weight: 1 },
        { arbitrary: mutatedEvent, weight: 6 },
      ),
      { numRuns: EVENTS, seed: 20261125 },
    );
    for (const delivered of samples) {
      const before = calls.count;
      try {
        await guardEvent(delivered, deps);
        if (calls.count > before) seen.acted += 1;
        else seen.quiet += 1;
      } catch (error) {
        if (!(error instanceof InvalidEventError)) crashes += 1;
        else expect(error.message).toMatch(/^invalid event: /);
        seen.invalid += 1;
      }
      if (calls.count > before && !mightBeRelevant(delivered)) strayCalls += calls.count - before;
    }
    report({ kind: 'fuzz-events', count: samples.length, crashes, armCalls: strayCalls });
    expect({ crashes, strayCalls }).toEqual({ crashes: 0, strayCalls: 0 });
    // The corpus exercises every path: refused, ignored, and acted on.
    expect(Math.min(seen.invalid, seen.acted, seen.quiet)).toBeGreaterThan(EVENTS / 100);
  });
});

describe('fuzz: generated NSGs against the contract', () => {
  // Sources are generated already knowing whether they are wildcards, so the oracle does not reuse the code under test.
  // The specific ones are narrow enough that no four of them add up to a /7 (IPv4) or a /15 (IPv6).
  const source = fc.oneof(
    fc
      .constantFrom('*', 'Any', 'any', 'Internet', 'INTERNET', '0.0.0.0/0', '::/0')
      .map((value) => ({ value, wild: true })),
    fc
      .tuple(fc.ipV4(), fc.integer({ min: 0, max: 7 }))
      .map(([ip, len]) => ({ value: `${ip}/${len}`, wild: true })),
    fc.ipV4().map((value) => ({ value, wild: false })),
    fc
      .tuple(fc.ipV4(), fc.integer({ min: 12, max: 32 }))
      .map(([ip, len]) => ({ value: `${ip}/${len}`, wild: false })),
    fc
      // Away from ::, whose wide prefixes hold the IPv4-mapped block (all of IPv4).
      .tuple(
        fc.ipV6().filter((ip) => !/^(0{1,4})?:/.test(ip)),
        fc.integer({ min: 20, max: 128 }),
      )
      .map(([ip, len]) => ({ value: `${ip}/${len}`, wild: false })),
    // What no strict parser reads is taken for open.
    fc
      .constantFrom('0.0.0.00/0', '0/0', '10.0.0.0-10.0.0.255', '[::]/0')
      .map((value) => ({ value, wild: true })),
    fc
      .constantFrom('VirtualNetwork', 'AzureLoadBalancer', 'AzureCloud')
      .map((value) => ({ value, wild: false })),
  );
  const name = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('SecurityCenter', 'MicrosoftDefenderForCloud', 'securitycenter'),
        fc.constantFrom('-', '_'),
        fc.integer(),
        fc.uuid(),
      )
      .map(([g, sep, n, id]) => ({
        value: `${g}-JITRule${sep}${n}${sep}${id.replace(/-/g, '')}`,
        jit: true,
      })),
    fc
      .constantFrom('AllowRDP', 'JITRule-1-ABC', 'MicrosoftDefenderForCloud-JIT', 'SecurityCenterJITRule-1')
      .map((value) => ({ value, jit: false })),
  );
  const ruleSpec = fc.record({
    name,
    access: fc.constantFrom('Allow', 'Deny', 'allow'),
    direction: fc.constantFrom('Inbound', 'Outbound', 'inbound'),
    singular: fc.option(source, { nil: undefined }),
    plural: fc.oneof<fc.Arbitrary<{ value: string; wild: boolean }[]>[]>(
      fc.array(source, { maxLength: 3 }),
      // A /6 cut into four /8s: none is a wildcard, together they are; the first piece says so.
      fc
        .integer({ min: 0, max: 63 })
        .map((block) => [0, 1, 2, 3].map((i) => ({ value: `${block * 4 + i}.0.0.0/8`, wild: i === 0 }))),
    ),
  });

  it(`${NSGS.toLocaleString('en')} NSGs: remove exactly for inbound allow JIT rules with a wildcard source`, () => {
    let wrong = 0;
    const samples = fc.sample(fc.array(ruleSpec, { maxLength: 10 }), { numRuns: NSGS, seed: 11 });
    for (const specs of samples) {
      const doc = nsg(
        specs.map((s, i) =>
          rule({
            name: s.name.value,
            access: s.access,
            direction: s.direction,
            ...(s.singular ? { source: s.singular.value } : {}),
            sources: s.plural.map((p) => p.value),
            priority: 100 + i,
          }),
        ),
      );
      const verdicts = evaluateNsg(parseNsgDocument(doc), new Date('2026-11-25T12:00:00Z')).rules;
      specs.forEach((s, i) => {
        const expected =
          s.name.jit &&
          s.access.toLowerCase() === 'allow' &&
          s.direction.toLowerCase() === 'inbound' &&
          [s.singular, ...s.plural].some((src) => src?.wild);
        if ((verdicts[i]?.verdict === 'remove') !== expected) wrong += 1;
      });
    }
    report({ kind: 'fuzz-nsgs', count: samples.length, wrongVerdicts: wrong });
    expect(wrong).toBe(0);
  });
});
