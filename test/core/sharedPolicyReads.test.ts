import { describe, expect, it } from 'vitest';
import type { JitPolicyGateway } from '../../src/adapters/jitPolicyGateway.js';
import { sharePolicyReads } from '../../src/core/sharedPolicyReads.js';

function countingGateway() {
  const calls: string[] = [];
  let fail = false;
  const gateway: JitPolicyGateway = {
    async listPolicies(subscriptionId) {
      calls.push(subscriptionId);
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('throttled');
      return [{ id: `policy-${calls.length}` }];
    },
  };
  return { gateway, calls, failNext: (value: boolean) => void (fail = value) };
}

describe('JIT policy lists shared between removals', () => {
  it('a list started after the rule was written serves it, in flight or done; an older one does not', async () => {
    let clock = 1_000;
    const { gateway, calls } = countingGateway();
    const shared = sharePolicyReads(gateway, () => new Date(clock));
    const written = new Date(900);
    const [a, b] = await Promise.all([
      shared.listPolicies('sub', written),
      shared.listPolicies('SUB', written),
    ]);
    expect(a).toBe(b);
    expect(calls).toHaveLength(1);
    clock = 2_000;
    // A rule written after the last list started needs a new list: its JIT request may be missing.
    await shared.listPolicies('sub', new Date(1_500));
    expect(calls).toHaveLength(2);
    await shared.listPolicies('sub', new Date(1_999));
    expect(calls).toHaveLength(2);
    await shared.listPolicies('sub');
    expect(calls).toHaveLength(3);
    await shared.listPolicies('other', written);
    expect(calls).toHaveLength(4);
  });

  it('a failed list is not served again', async () => {
    const { gateway, calls, failNext } = countingGateway();
    const shared = sharePolicyReads(gateway, () => new Date(1_000));
    failNext(true);
    await expect(shared.listPolicies('sub', new Date(900))).rejects.toThrow('throttled');
    failNext(false);
    await expect(shared.listPolicies('sub', new Date(900))).resolves.toHaveLength(1);
    expect(calls).toHaveLength(2);
  });
});
