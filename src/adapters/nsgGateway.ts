import { NetworkManagementClient, type NetworkSecurityGroup } from '@azure/arm-network';
import type { TokenCredential } from '@azure/core-auth';
import type { FullOperationResponse } from '@azure/core-client';
import type { GuardrailConfig } from '../config/settings.js';
import { nsgResourceId, type NsgRef } from '../lib/events/nsgResourceId.js';
import {
  parseNsgDocument,
  parseSecurityRuleDocument,
  type NsgDocument,
  type SecurityRuleDocument,
} from '../lib/nsg/nsgDocument.js';
import { statusOf, toArmCallError } from './armCallError.js';
import { armClientOptions } from './armClientOptions.js';

/** `changed`: ARM refused the DELETE because the rule is no longer the one judged (412 on If-Match). */
export type RuleDeletion = 'deleted' | 'already-gone' | 'changed';

/** The NSG reads and writes the guardrail makes, through `@azure/arm-network`. */
export interface NsgGateway {
  /** The NSG as ARM returns it (rules and tags together), or undefined when it no longer exists. */
  getNsg(ref: NsgRef): Promise<NsgDocument | undefined>;
  /** One security rule as ARM returns it, or undefined when it is gone. */
  getRule(ref: NsgRef, ruleName: string): Promise<SecurityRuleDocument | undefined>;
  /**
   * Deletes one security rule and waits for the long-running operation to finish. With `etag`, the
   * DELETE carries `If-Match`, so ARM refuses it (412: `changed`) if the rule changed since it was read.
   * `onAccepted` is called when ARM first accepts the DELETE (202, 200 or 204), before the wait.
   */
  deleteRule(ref: NsgRef, ruleName: string, etag?: string, onAccepted?: () => void): Promise<RuleDeletion>;
  /** Every NSG of a subscription, a page (one ARM read) at a time. */
  listNsgPages(subscriptionId: string): AsyncIterable<NsgDocument[]>;
}

export function createNsgGateway(config: GuardrailConfig, credential: TokenCredential): NsgGateway {
  const clients = new Map<string, NetworkManagementClient>();
  const clientFor = (subscriptionId: string): NetworkManagementClient => {
    let client = clients.get(subscriptionId);
    if (client === undefined) {
      client = new NetworkManagementClient(credential, subscriptionId, armClientOptions(config));
      clients.set(subscriptionId, client);
    }
    return client;
  };

  return {
    async getNsg(ref) {
      let raw: string | undefined;
      try {
        // The SDK flattens `properties`; the decision works on the document as ARM sends it.
        await clientFor(ref.subscriptionId).networkSecurityGroups.get(ref.resourceGroup, ref.nsgName, {
          onResponse: (response: FullOperationResponse) => {
            raw = response.bodyAsText ?? undefined;
          },
        });
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toArmCallError('read NSG', nsgResourceId(ref), error);
      }
      return parseNsgDocument(JSON.parse(raw ?? 'null'));
    },

    async getRule(ref, ruleName) {
      let raw: string | undefined;
      try {
        await clientFor(ref.subscriptionId).securityRules.get(ref.resourceGroup, ref.nsgName, ruleName, {
          onResponse: (response: FullOperationResponse) => {
            raw = response.bodyAsText ?? undefined;
          },
        });
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toArmCallError('read security rule', `${nsgResourceId(ref)}/securityRules/${ruleName}`, error);
      }
      return parseSecurityRuleDocument(JSON.parse(raw ?? 'null'));
    },

    async deleteRule(ref, ruleName, etag, onAccepted) {
      const target = `${nsgResourceId(ref)}/securityRules/${ruleName}`;
      let status: number | undefined;
      try {
        await clientFor(ref.subscriptionId).securityRules.beginDeleteAndWait(
          ref.resourceGroup,
          ref.nsgName,
          ruleName,
          {
            ...(config.arm.lroPollIntervalMs !== undefined
              ? { updateIntervalInMs: config.arm.lroPollIntervalMs }
              : {}),
            // The SDK has no option for it; ARM's documented concurrency header, sent as such.
            ...(etag !== undefined ? { requestOptions: { customHeaders: { 'If-Match': etag } } } : {}),
            onResponse: (response: FullOperationResponse) => {
              if (status === undefined && response.status >= 200 && response.status < 300) onAccepted?.();
              status ??= response.status;
            },
          },
        );
      } catch (error) {
        if (statusOf(error) === 404) return 'already-gone';
        if (statusOf(error) === 412) return 'changed';
        throw toArmCallError('delete security rule', target, error);
      }
      // ARM answers 204 at once when the rule is not there (any more).
      return status === 204 ? 'already-gone' : 'deleted';
    },

    async *listNsgPages(subscriptionId) {
      const pages = clientFor(subscriptionId).networkSecurityGroups.listAll().byPage();
      for (;;) {
        let page: IteratorResult<NetworkSecurityGroup[]>;
        try {
          page = await pages.next();
        } catch (error) {
          throw toArmCallError('list NSGs', `/subscriptions/${subscriptionId}`, error);
        }
        if (page.done) return;
        yield page.value.map(toNsgDocument);
      }
    },
  };
}

/** The SDK flattens `properties`; the decisions read NSGs as ARM sends them, so fold them back. */
function toNsgDocument(model: NetworkSecurityGroup): NsgDocument {
  const rules = (model.securityRules ?? []).map(({ name, id, etag, type, ...properties }) => ({
    name: name ?? '',
    id,
    etag,
    type,
    properties,
  }));
  return parseNsgDocument({
    id: model.id,
    name: model.name,
    location: model.location,
    etag: model.etag,
    tags: model.tags,
    properties: { securityRules: rules },
  });
}
