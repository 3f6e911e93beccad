import { describe, expect, it } from 'vitest';
import { cacheGroupMembership, MEMBERS_TTL_MS, MISS_REREAD_MS } from '../../src/core/groupMembership.js';

describe("a management group's subscriptions, for the guard", () => {
  it('reads them once an hour, again on a miss at most once a minute; a failed read throws', async () => {
    let clock = 0;
    let members = ['sub-a'];
    let fail = false;
    let reads = 0;
    const isBelow = cacheGroupMembership(
      {
        candidateNsgPages: async function* () {},
        subscriptionsVisible: async () => [],
        subscriptionsBelow: async () => {
          reads += 1;
          if (fail) throw new Error('query Resource Graph failed: throttled (HTTP 429)');
          return members;
        },
      },
      'contoso-lz',
      () => new Date(clock),
    );
    expect(await isBelow('SUB-A')).toBe(true);
    expect(await isBelow('sub-b')).toBe(false);
    expect(reads).toBe(1);
    // A new subscription: found once a minute has passed since the last read.
    members = ['sub-a', 'sub-b'];
    expect(await isBelow('sub-b')).toBe(false);
    clock = MISS_REREAD_MS;
    expect(await isBelow('sub-b')).toBe(true);
    expect(reads).toBe(2);
    clock += MEMBERS_TTL_MS;
    fail = true;
    await expect(isBelow('sub-a')).rejects.toThrow(/throttled/);
  });
});
