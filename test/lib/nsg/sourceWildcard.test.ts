import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWildcardSource, isWildcardSourceSet } from '../../../src/lib/nsg/sourceWildcard.js';

const ipv4 = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');

describe('a wildcard source', () => {
  it('is a tag for everyone, or a prefix broader than /8 (IPv4) or /16 (IPv6)', () => {
    for (const wildcard of [
      '*',
      'Any',
      'INTERNET',
      '0.0.0.0/0',
      '::/0',
      '64.0.0.0/2',
      '10.0.0.0/7',
      '2000::/3',
    ])
      expect(isWildcardSource(wildcard), wildcard).toBe(true);
    for (const specific of [
      '10.0.0.0/8',
      '203.0.113.7',
      '203.0.113.0/24',
      '2001:db8::/16',
      'VirtualNetwork',
      'Storage.WestEurope',
      'fd00::/8',
      'fe80::/10',
      'fc00::/7',
    ])
      expect(isWildcardSource(specific), specific).toBe(false);
  });

  it('takes what it cannot read for a wildcard: an address only a lenient parser would read, a range', () => {
    for (const unreadable of [
      '0.0.0.00/0',
      '000.000.000.000/0',
      '0.0.0.0/0000',
      '0/0',
      '0.0/0',
      '0x0.0.0.0/0',
      '0.0.0.0 /0',
      '[::]/0',
      '0.0.0.0/0.0.0.0',
      '0.0.0.0-255.255.255.255',
      '1.2.3.4/33',
      '10.0.0.0/008',
    ])
      expect(isWildcardSource(unreadable), unreadable).toBe(true);
    expect(isWildcardSource('')).toBe(false);
  });

  it('judges an IPv6 prefix by the IPv4-mapped addresses it holds, too', () => {
    for (const holdsAllOfIpv4 of ['::ffff:0.0.0.0/95', '::/80', '::/64', '::/17'])
      expect(isWildcardSource(holdsAllOfIpv4), holdsAllOfIpv4).toBe(true);
    expect(isWildcardSource('::1/128')).toBe(false);
    expect(isWildcardSource('2001:db8::/32')).toBe(false);
  });

  it('judges an IPv4-mapped IPv6 prefix as the IPv4 prefix it maps', () => {
    expect(isWildcardSource('::ffff:0.0.0.0/96')).toBe(true);
    expect(isWildcardSource('::ffff:0:0/96')).toBe(true);
    expect(isWildcardSource('::ffff:10.0.0.0/104')).toBe(false);
    expect(isWildcardSourceSet(['::ffff:10.0.0.0/104', '::ffff:11.0.0.0/104'])).toBe(true);
  });
});

describe('a wildcard set of sources (one rule, several prefixes)', () => {
  it('catches a wildcard cut into pieces: 256 × /8, 2 × /1, or two /8s (a /7 of addresses)', () => {
    const eights = Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`);
    expect(eights.some(isWildcardSource)).toBe(false);
    expect(isWildcardSourceSet(eights)).toBe(true);
    expect(isWildcardSourceSet(['0.0.0.0/1', '128.0.0.0/1'])).toBe(true);
    expect(isWildcardSourceSet(['10.0.0.0/8', '11.0.0.0/8'])).toBe(true);
    expect(isWildcardSourceSet(['2001::/16', '2002::/16'])).toBe(true);
  });

  it('counts overlaps once, and keeps a /8 with a few specific addresses', () => {
    expect(isWildcardSourceSet(['10.0.0.0/8', '10.0.0.0/8', '10.1.0.0/16', '10.2.3.4'])).toBe(false);
    expect(isWildcardSourceSet(['10.0.0.0/8', '203.0.113.0/24', '198.51.100.7'])).toBe(false);
    expect(isWildcardSourceSet(['2001:db8::/16', '2001:db8::1/128', '10.0.0.0/8'])).toBe(false);
    expect(isWildcardSourceSet([])).toBe(false);
    expect(isWildcardSourceSet(['VirtualNetwork', 'AzureLoadBalancer'])).toBe(false);
  });

  it('one prefix alone is a wildcard exactly when broader than /8 (IPv4) or /16 (public IPv6)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (n, length) => {
        expect(isWildcardSourceSet([`${ipv4(n)}/${length}`])).toBe(length < 8);
      }),
      { numRuns: 500, seed: 20261202 },
    );
    fc.assert(
      fc.property(
        // 2000::/3, the global unicast space: neither private nor holding IPv4-mapped addresses.
        fc.integer({ min: 0x2000, max: 0x3fff }),
        fc.integer({ min: 3, max: 128 }),
        (hextet, length) => {
          expect(isWildcardSourceSet([`${hextet.toString(16)}::/${length}`])).toBe(length < 16);
        },
      ),
      { numRuns: 500, seed: 20261202 },
    );
  });

  it('distinct /16s are a wildcard exactly when they add up to a /7 (512 of them), in any order and repeated', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 0xffff }), { minLength: 500, maxLength: 520 }),
        fc.integer({ min: 0, max: 20 }),
        (blocks, repeats) => {
          const prefixes = [...blocks, ...blocks.slice(0, repeats)].map((b) => `${ipv4(b << 16)}/16`);
          expect(isWildcardSourceSet(prefixes)).toBe(blocks.length >= 512);
        },
      ),
      { numRuns: 60, seed: 20261202 },
    );
  });

  it('any split of the whole IPv4 space is a wildcard', () => {
    // Split 0.0.0.0/0 by halving chosen blocks: every result covers everything, in pieces of /1 or smaller.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 40 }), (choices) => {
        let blocks: [number, number][] = [[0, 0]];
        for (const choice of choices) {
          const i = choice % blocks.length;
          const [start, length] = blocks[i]!;
          if (length >= 24) continue;
          const half = 2 ** (31 - length);
          blocks = [
            ...blocks.slice(0, i),
            [start, length + 1],
            [start + half, length + 1],
            ...blocks.slice(i + 1),
          ];
        }
        const prefixes = blocks.map(([start, length]) => `${ipv4(start)}/${length}`);
        expect(isWildcardSourceSet(prefixes)).toBe(true);
      }),
      { numRuns: 200, seed: 20261202 },
    );
  });
});
