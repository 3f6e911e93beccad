/** Where an NSG lives, and the rule when the resource is a single security rule. */
export interface NsgRef {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly nsgName: string;
}

export interface NsgResourceRef extends NsgRef {
  readonly ruleName: string | undefined;
}

const NSG_RESOURCE_ID =
  /^\/+subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.network\/networksecuritygroups\/([^/]+)(?:\/securityrules\/([^/]+))?\/?$/i;

/** Parses an NSG or security-rule resource id; undefined when it is neither. */
export function parseNsgResourceId(resourceId: string): NsgResourceRef | undefined {
  const match = NSG_RESOURCE_ID.exec(resourceId.trim());
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, nsgName, ruleName] = match;
  if (subscriptionId === undefined || resourceGroup === undefined || nsgName === undefined) return undefined;
  return {
    subscriptionId: decodeURIComponent(subscriptionId),
    resourceGroup: decodeURIComponent(resourceGroup),
    nsgName: decodeURIComponent(nsgName),
    ruleName: ruleName === undefined ? undefined : decodeURIComponent(ruleName),
  };
}

export function nsgResourceId(ref: NsgRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${ref.nsgName}`;
}
