import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateNsg } from '../../../src/lib/nsg/evaluateNsg.js';
import { NotAnNsgError, parseNsgDocument } from '../../../src/lib/nsg/nsgDocument.js';
import { isWildcardSource, isWildcardSourceSet } from '../../../src/lib/nsg/sourceWildcard.js';
import { recordedNsgs } from '../../support/fixtures.js';
import {
  ALLOW_NAME_NEW,
  ALLOW_NAME_OLD,
  DENY_NAME_NEW,
  DENY_NAME_OLD,
  nsg,
  rule,
  type RuleSpec,
} from '../../support/nsgBuilders.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const judge = (spec: RuleSpec, tags?: Record<string, string>) =>
  evaluateNsg(parseNsgDocument(nsg([rule(spec)], tags)), NOW).rules[0];

describe('evaluateNsg: one verdict per rule shape', () => {
  it('removes the whole IPv4 space given as 256 × /8 in sourceAddressPrefixes', () => {
    const sources = Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`);
    expect(judge({ name: ALLOW_NAME_NEW, sources })).toMatchObject({
      verdict: 'remove',
      reason: 'wildcard-source',
    });
  });

  it.each([
    ['new-generation allow, source *', { name: ALLOW_NAME_NEW, source: '*' }, 'remove', 'wildcard-source'],
    ['old-generation allow, source *', { name: ALLOW_NAME_OLD, source: '*' }, 'remove', 'wildcard-source'],
    ['source Any', { name: ALLOW_NAME_NEW, source: 'Any' }, 'remove', 'wildcard-source'],
    ['source any (lower case)', { name: ALLOW_NAME_NEW, source: 'any' }, 'remove', 'wildcard-source'],
    ['source Internet', { name: ALLOW_NAME_NEW, source: 'Internet' }, 'remove', 'wildcard-source'],
    ['source INTERNET', { name: ALLOW_NAME_NEW, source: 'INTERNET' }, 'remove', 'wildcard-source'],
    ['source 0.0.0.0/0', { name: ALLOW_NAME_NEW, source: '0.0.0.0/0' }, 'remove', 'wildcard-source'],
    ['source ::/0', { name: ALLOW_NAME_NEW, source: '::/0' }, 'remove', 'wildcard-source'],
    [
      'source 10.0.0.0/7 (broader than /8)',
      { name: ALLOW_NAME_NEW, source: '10.0.0.0/7' },
      'remove',
      'wildcard-source',
    ],
    [
      'source 10.0.0.0/8 (not broader than /8)',
      { name: ALLOW_NAME_NEW, source: '10.0.0.0/8' },
      'keep',
      'specific-source',
    ],
    [
      'source 2001::/15 (broader than /16)',
      { name: ALLOW_NAME_NEW, source: '2001::/15' },
      'remove',
      'wildcard-source',
    ],
    ['source 2001:db8::/16', { name: ALLOW_NAME_NEW, source: '2001:db8::/16' }, 'keep', 'specific-source'],
    ['source a single IP', { name: ALLOW_NAME_NEW, source: '192.127.0.2' }, 'keep', 'specific-source'],
    ['source a /32', { name: ALLOW_NAME_NEW, source: '203.0.113.7/32' }, 'keep', 'specific-source'],
    ['source a service tag', { name: ALLOW_NAME_NEW, source: 'AzureCloud' }, 'keep', 'specific-source'],
    [
      'two /8s in sourceAddressPrefixes (a /7 of addresses)',
      { name: ALLOW_NAME_NEW, sources: ['10.0.0.0/8', '11.0.0.0/8'] },
      'remove',
      'wildcard-source',
    ],
    [
      'a /8 and an office /24 in sourceAddressPrefixes',
      { name: ALLOW_NAME_NEW, sources: ['10.0.0.0/8', '203.0.113.0/24'] },
      'keep',
      'specific-source',
    ],
    [
      'IPv4 as IPv4-mapped IPv6 (::ffff:0.0.0.0/96)',
      { name: ALLOW_NAME_NEW, source: '::ffff:0.0.0.0/96' },
      'remove',
      'wildcard-source',
    ],
    [
      'wildcard in sourceAddressPrefixes',
      { name: ALLOW_NAME_NEW, sources: ['203.0.113.7', '*'] },
      'remove',
      'wildcard-source',
    ],
    [
      '0.0.0.0/0 in sourceAddressPrefixes (old generation)',
      { name: ALLOW_NAME_OLD, sources: ['0.0.0.0/0'] },
      'remove',
      'wildcard-source',
    ],
    [
      'specific sourceAddressPrefixes',
      { name: ALLOW_NAME_NEW, sources: ['203.0.113.7', '198.51.100.0/24'] },
      'keep',
      'specific-source',
    ],
    [
      'empty singular, wildcard plural',
      { name: ALLOW_NAME_NEW, source: '', sources: ['Internet'] },
      'remove',
      'wildcard-source',
    ],
    [
      'new-generation deny rule',
      { name: DENY_NAME_NEW, source: '*', access: 'Deny', priority: 1000 },
      'keep',
      'deny',
    ],
    [
      'old-generation deny rule',
      { name: DENY_NAME_OLD, source: '*', access: 'Deny', priority: 1001 },
      'keep',
      'deny',
    ],
    ['JIT name edited to Deny', { name: ALLOW_NAME_NEW, source: '*', access: 'Deny' }, 'keep', 'deny'],
    ['JIT name, outbound', { name: ALLOW_NAME_NEW, source: '*', direction: 'Outbound' }, 'keep', 'outbound'],
    ['not a JIT rule', { name: 'AllowAllInbound', source: '*' }, 'keep', 'not-jit'],
    ['look-alike name', { name: 'MyCompany-JITRule-1-ABC', source: '*' }, 'keep', 'not-jit'],
    [
      'JIT prefix in another case',
      { name: ALLOW_NAME_NEW.toLowerCase(), source: '*' },
      'remove',
      'wildcard-source',
    ],
    [
      'JIT deny-named rule edited to allow *',
      { name: DENY_NAME_NEW, source: '*' },
      'remove',
      'wildcard-source',
    ],
    [
      'negative number in the name',
      { name: 'SecurityCenter-JITRule--42-8C18BF8921F041989344B4F1E3A0C370', source: '*' },
      'remove',
      'wildcard-source',
    ],
  ] as const)('%s → %s (%s)', (_label, spec, verdict, reason) => {
    expect(judge(spec)).toEqual({ name: spec.name, verdict, reason });
  });

  it('keeps a rule without direction or access, and says why', () => {
    const doc = nsg([{ name: ALLOW_NAME_NEW, properties: { sourceAddressPrefix: '*' } }]);
    expect(evaluateNsg(parseNsgDocument(doc), NOW).rules[0]).toEqual({
      name: ALLOW_NAME_NEW,
      verdict: 'keep',
      reason: 'incomplete-rule',
    });
  });

  it('answers in input order, one entry per rule, ignoring defaultSecurityRules', () => {
    const doc = nsg([
      rule({ name: 'b-rule', source: '*' }),
      rule({ name: ALLOW_NAME_NEW, source: '*' }),
      rule({ name: 'a-rule', source: '*' }),
    ]);
    (doc.properties as Record<string, unknown>).defaultSecurityRules = [
      rule({ name: ALLOW_NAME_OLD, source: '*' }),
    ];
    const result = evaluateNsg(parseNsgDocument(doc), NOW);
    expect(result.nsg).toBe('nsg');
    expect(result.rules.map((r) => r.name)).toEqual(['b-rule', ALLOW_NAME_NEW, 'a-rule']);
    expect(result.rules.map((r) => r.verdict)).toEqual(['keep', 'remove', 'keep']);
  });
});

describe('evaluateNsg: the exemption tag', () => {
  const bad = { name: ALLOW_NAME_NEW, source: '*' };

  it('exempts while the date has not passed (the whole day, UTC)', () => {
    expect(judge(bad, { 'jit-guardrail-exempt-until': '2026-11-25' })).toMatchObject({
      verdict: 'keep',
      reason: 'exempt',
    });
    expect(judge(bad, { 'jit-guardrail-exempt-until': '2026-12-24' })).toMatchObject({
      verdict: 'keep',
      reason: 'exempt',
    });
    expect(judge(bad, { 'JIT-Guardrail-Exempt-Until': '2026-12-01T00:00:00Z' })).toMatchObject({
      reason: 'exempt',
    });
  });

  it('does not exempt once the date has passed', () => {
    expect(judge(bad, { 'jit-guardrail-exempt-until': '2026-11-24' })).toMatchObject({ verdict: 'remove' });
    expect(judge(bad, { 'jit-guardrail-exempt-until': '2026-11-25T11:59:59Z' })).toMatchObject({
      verdict: 'remove',
    });
  });

  it.each(['soon', '2026-13-01', '2026-02-30', '25/11/2026', '', 'true'])(
    'a value that is not a date (%j) exempts nothing and is reported',
    (value) => {
      const result = evaluateNsg(
        parseNsgDocument(nsg([rule(bad)], { 'jit-guardrail-exempt-until': value })),
        NOW,
      );
      expect(result.rules[0]).toMatchObject({ verdict: 'remove' });
      expect(result.exemption).toMatchObject({ status: 'invalid', tagValue: value });
    },
  );

  it('does not change the verdict of rules that stay anyway', () => {
    expect(
      judge({ name: ALLOW_NAME_NEW, source: '10.1.2.3' }, { 'jit-guardrail-exempt-until': '2030-01-01' }),
    ).toMatchObject({ reason: 'specific-source' });
  });

  it.each(['9999-12-31', '2099-12-31', '2026-12-26', '2026-12-25T12:00:01Z'])(
    'an end more than 30 days ahead (%s) exempts nothing and says why: a tag must not switch the guard off for good',
    (value) => {
      const result = evaluateNsg(
        parseNsgDocument(nsg([rule(bad)], { 'jit-guardrail-exempt-until': value })),
        NOW,
      );
      expect(result.rules[0]).toMatchObject({ verdict: 'remove', reason: 'wildcard-source' });
      expect(result.exemption).toEqual({
        status: 'invalid',
        tagValue: value,
        problem: 'more than 30 day(s) ahead (the most GUARDRAIL_EXEMPTION_MAX_DAYS allows)',
      });
    },
  );

  it('the bound is exactly GUARDRAIL_EXEMPTION_MAX_DAYS from now, and 0 turns exemptions off', () => {
    const doc = (until: string) =>
      parseNsgDocument(nsg([rule(bad)], { 'jit-guardrail-exempt-until': until }));
    expect(evaluateNsg(doc('2026-12-25T12:00:00Z'), NOW).rules[0]).toMatchObject({ reason: 'exempt' });
    expect(evaluateNsg(doc('2026-12-02T12:00:00Z'), NOW, 7).rules[0]).toMatchObject({ reason: 'exempt' });
    expect(evaluateNsg(doc('2026-12-02T12:00:01Z'), NOW, 7).rules[0]).toMatchObject({ verdict: 'remove' });
    expect(evaluateNsg(doc('2026-11-25T13:00:00Z'), NOW, 0).rules[0]).toMatchObject({ verdict: 'remove' });
  });

  it('a date-time without a zone is called that, not "not a date"', () => {
    const result = evaluateNsg(
      parseNsgDocument(nsg([rule(bad)], { 'jit-guardrail-exempt-until': '2026-11-30T10:00' })),
      NOW,
    );
    expect(result.exemption).toMatchObject({
      status: 'invalid',
      problem: 'a date-time without a time zone (end it with Z or ±hh:mm)',
    });
  });
});

describe('parseNsgDocument: bad input', () => {
  it.each([
    ['an array', []],
    ['null', null],
    ['a string', 'nsg'],
    ['no properties', { name: 'x' }],
    ['no securityRules', { name: 'x', properties: {} }],
    ['securityRules not an array', { name: 'x', properties: { securityRules: {} } }],
    ['a rule without a name', { name: 'x', properties: { securityRules: [{ properties: {} }] } }],
    ['no name', { properties: { securityRules: [] } }],
  ])('rejects %s', (_label, value) => {
    expect(() => parseNsgDocument(value)).toThrow(NotAnNsgError);
  });
});

describe('recorded NSGs from real Azure (none holds a JIT rule)', () => {
  const corpus = recordedNsgs();

  it('holds the 55 recorded NSGs', () => {
    expect(corpus.length).toBe(55);
  });

  it.each(corpus.map((c) => [c.file, c.nsg] as const))('%s: every rule is kept', (_file, doc) => {
    const result = evaluateNsg(parseNsgDocument(doc), NOW);
    expect(result.rules.length).toBe((doc.properties as { securityRules: unknown[] }).securityRules.length);
    expect(result.rules.every((r) => r.verdict === 'keep')).toBe(true);
  });
});

describe('property: remove never for deny, outbound, non-JIT or specific sources', () => {
  const jitName = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('SecurityCenter', 'MicrosoftDefenderForCloud'),
        fc.constantFrom('-', '_'),
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }),
      )
      .map(([gen, sep, n, hex]) => `${gen}-JITRule${sep}${n}${sep}${hex.toUpperCase()}`),
    fc.string({ minLength: 1, maxLength: 40 }),
  );
  const specificSource = fc.oneof(
    fc.ipV4(),
    fc.tuple(fc.ipV4(), fc.integer({ min: 8, max: 32 })).map(([ip, len]) => `${ip}/${len}`),
    // Away from ::, whose wide prefixes hold the IPv4-mapped block (all of IPv4).
    fc
      .tuple(
        fc.ipV6().filter((ip) => !/^(0{1,4})?:/.test(ip)),
        fc.integer({ min: 16, max: 128 }),
      )
      .map(([ip, len]) => `${ip}/${len}`),
    fc.constantFrom('VirtualNetwork', 'AzureLoadBalancer', 'AzureCloud', 'Storage.WestEurope'),
  );
  const wildcardSource = fc.oneof(
    fc.constantFrom('*', 'Any', 'any', 'Internet', 'INTERNET', '0.0.0.0/0', '::/0'),
    fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 7 })).map(([ip, len]) => `${ip}/${len}`),
  );
  const ruleArb = fc.record({
    name: jitName,
    access: fc.constantFrom('Allow', 'Deny', 'allow', 'deny'),
    direction: fc.constantFrom('Inbound', 'Outbound', 'inbound', 'outbound'),
    singular: fc.option(fc.oneof(specificSource, wildcardSource), { nil: undefined }),
    plural: fc.option(fc.array(fc.oneof(specificSource, wildcardSource), { maxLength: 4 }), {
      nil: undefined,
    }),
  });

  it('agrees with the contract on 2,000 generated NSGs', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 12 }), (specs) => {
        const doc = nsg(
          specs.map((s, i) =>
            rule({
              name: `${s.name}`,
              access: s.access,
              direction: s.direction,
              ...(s.singular !== undefined ? { source: s.singular } : {}),
              ...(s.plural !== undefined ? { sources: s.plural } : {}),
              priority: 100 + i,
            }),
          ),
        );
        const result = evaluateNsg(parseNsgDocument(doc), NOW);
        result.rules.forEach((verdict, i) => {
          const s = specs[i]!;
          const sources = [...(s.singular !== undefined ? [s.singular] : []), ...(s.plural ?? [])];
          const isJit = /^(SecurityCenter|MicrosoftDefenderForCloud)-JITRule[-_]/i.test(s.name);
          const shouldRemove =
            isJit &&
            s.access.toLowerCase() === 'allow' &&
            s.direction.toLowerCase() === 'inbound' &&
            isWildcardSourceSet(sources);
          expect(verdict.verdict).toBe(shouldRemove ? 'remove' : 'keep');
          if (
            s.access.toLowerCase() === 'deny' ||
            s.direction.toLowerCase() === 'outbound' ||
            !isJit ||
            !isWildcardSourceSet(sources)
          ) {
            expect(verdict.verdict).toBe('keep');
          }
        });
      }),
      { numRuns: 2000, seed: 20261125 },
    );
  });

  it('never calls a specific source a wildcard', () => {
    fc.assert(
      fc.property(specificSource, (s) => !isWildcardSource(s)),
      { numRuns: 2000, seed: 7 },
    );
  });
});
