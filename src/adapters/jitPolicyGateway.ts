import { SecurityCenter } from '@azure/arm-security';
import type { TokenCredential } from '@azure/core-auth';
import type { GuardrailConfig } from '../config/settings.js';
import type { JitPolicyLike } from '../lib/jit/findJitRequest.js';
import { toArmCallError } from './armCallError.js';
import { armClientOptions } from './armClientOptions.js';

/** Reads JIT policies (with their `requests[]` history) through `@azure/arm-security`. */
export interface JitPolicyGateway {
  /**
   * Every JIT policy of the subscription. `freshSince`: the list must have been started after this
   * moment (a shared reader may serve an earlier list that was); without it, a new list.
   */
  listPolicies(subscriptionId: string, freshSince?: Date): Promise<JitPolicyLike[]>;
}

export function createJitPolicyGateway(
  config: GuardrailConfig,
  credential: TokenCredential,
): JitPolicyGateway {
  const clients = new Map<string, SecurityCenter>();
  return {
    async listPolicies(subscriptionId) {
      let client = clients.get(subscriptionId);
      if (client === undefined) {
        client = new SecurityCenter(credential, subscriptionId, armClientOptions(config));
        clients.set(subscriptionId, client);
      }
      const policies: JitPolicyLike[] = [];
      try {
        for await (const policy of client.jitNetworkAccessPolicies.list()) policies.push(policy);
      } catch (error) {
        throw toArmCallError('list JIT policies', `/subscriptions/${subscriptionId}`, error);
      }
      return policies;
    },
  };
}
