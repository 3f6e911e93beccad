import type { JitPolicyGateway } from '../adapters/jitPolicyGateway.js';
import type { JitPolicyLike } from '../lib/jit/findJitRequest.js';

/**
 * One JIT policy list shared by every removal that can use it. A removal needs the policies as they
 * were after its rule was written (the JIT request that made the rule is recorded before the rule),
 * so a list started after that moment — finished or still in flight — serves it, and an older one
 * does not. A burst of removals then costs a few list calls instead of one each, and the reads it
 * saves are the ones ARM throttles first.
 */
export function sharePolicyReads(gateway: JitPolicyGateway, now: () => Date): JitPolicyGateway {
  const latest = new Map<string, { startedAt: number; policies: Promise<JitPolicyLike[]> }>();
  return {
    listPolicies(subscriptionId, freshSince) {
      const key = subscriptionId.toLowerCase();
      const cached = latest.get(key);
      const needed = freshSince?.getTime() ?? Number.POSITIVE_INFINITY;
      if (cached !== undefined && cached.startedAt >= needed) return cached.policies;
      const entry = { startedAt: now().getTime(), policies: gateway.listPolicies(subscriptionId) };
      latest.set(key, entry);
      entry.policies.catch(() => {
        if (latest.get(key) === entry) latest.delete(key);
      });
      return entry.policies;
    },
  };
}
