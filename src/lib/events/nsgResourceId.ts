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
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.network\/networksecuritygroups\/([^/]+)(?:\/securityrules\/([^/]+))?\/?$/i;

const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One id segment, percent-decoded exactly once. Undefined for a malformed escape, a dot segment
 * (`.`, `..`, also when spelled `%2e`: a URL parser would resolve it and the read would go to
 * another resource), or a character no Azure resource name holds (separators, `%`, controls).
 */
function decodeSegment(raw: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (decoded === '' || decoded === '.' || decoded === '..' || decoded.length > 260) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[/\\?#%\u0000-\u001f\u007f]/.test(decoded)) return undefined;
  return decoded;
}

/**
 * Parses an NSG or security-rule resource id strictly; undefined when it is neither, or when a
 * segment is not a plain resource name once decoded.
 */
export function parseNsgResourceId(resourceId: string): NsgResourceRef | undefined {
  const match = NSG_RESOURCE_ID.exec(resourceId.trim());
  if (!match) return undefined;
  const [, rawSubscription, rawGroup, rawNsg, rawRule] = match;
  if (rawSubscription === undefined || rawGroup === undefined || rawNsg === undefined) return undefined;
  const subscriptionId = decodeSegment(rawSubscription);
  const resourceGroup = decodeSegment(rawGroup);
  const nsgName = decodeSegment(rawNsg);
  const ruleName = rawRule === undefined ? undefined : decodeSegment(rawRule);
  if (subscriptionId === undefined || !SUBSCRIPTION_ID.test(subscriptionId)) return undefined;
  if (resourceGroup === undefined || nsgName === undefined) return undefined;
  if (rawRule !== undefined && ruleName === undefined) return undefined;
  return { subscriptionId, resourceGroup, nsgName, ruleName };
}

export function nsgResourceId(ref: NsgRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${ref.nsgName}`;
}
