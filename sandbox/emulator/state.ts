import { randomInt, randomUUID } from 'node:crypto';

/** A resource as the emulator keeps it: ARM JSON, ready to serve. */
export type ArmJson = Record<string, unknown> & { id: string; name: string };

export interface SecurityRuleJson extends ArmJson {
  etag: string;
  type: string;
  properties: Record<string, unknown> & { priority?: number; direction?: string };
}

export interface NsgJson extends ArmJson {
  etag: string;
  type: string;
  location: string;
  tags?: Record<string, string>;
  properties: Record<string, unknown> & {
    securityRules: SecurityRuleJson[];
    defaultSecurityRules: SecurityRuleJson[];
  };
}

export interface VmRecord {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly nsgId: string;
  readonly nicId: string;
  readonly privateIp: string;
}

export interface OperationRecord {
  readonly id: string;
  pollsLeft: number;
  readonly outcome: 'Succeeded' | 'Failed';
  readonly error: { code: string; message: string } | undefined;
  readonly apiVersion: string;
  readonly location: string;
  readonly subscriptionId: string;
  /** As the network RP names it in a contention error, e.g. `DeleteSecurityRuleOperation`. */
  readonly name: string;
  /** The NSG (key) this operation updates: other writes to it wait until it is done. */
  readonly resourceKey: string | undefined;
  /** Epoch ms after which it no longer holds its resource, polled or not; 0 once done. */
  holdsUntil: number;
}

export const key = (id: string) => id.replace(/\/+/g, '/').replace(/\/$/, '').toLowerCase();

export const newEtag = () => `W/"${randomUUID()}"`;

const NSG_TYPE = 'Microsoft.Network/networkSecurityGroups';
const RULE_TYPE = 'Microsoft.Network/networkSecurityGroups/securityRules';
const DEFAULT_RULE_TYPE = 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules';

/** In-memory subscription contents shared by the emulator's routes. */
export class ArmState {
  readonly nsgs = new Map<string, NsgJson>();
  readonly vms = new Map<string, VmRecord>();
  readonly policies = new Map<string, ArmJson>();
  readonly operations = new Map<string, OperationRecord>();
  /** When each NSG last changed, and when deleted ones went (epoch ms): Resource Graph lags them. */
  readonly modifiedAt = new Map<string, number>();
  readonly deletedAt = new Map<string, number>();
  /** The subscriptions below each management group (lower-cased ids), for scoped queries. */
  readonly managementGroups = new Map<string, Set<string>>();
  /** Display names of the subscriptions this ARM knows, by lower-cased id; others are not found. */
  readonly subscriptionNames = new Map<string, string>();
  /** The latest operation per resource key that may still be updating it. */
  private readonly updating = new Map<string, OperationRecord>();

  constructor(readonly tenantId: string) {}

  putNsg(
    id: string,
    body: { location?: string; tags?: Record<string, string>; properties?: { securityRules?: unknown[] } },
  ): NsgJson {
    const existing = this.nsgs.get(key(id));
    const name = id.split('/').pop() ?? '';
    const etag = newEtag();
    const nsg: NsgJson = {
      name,
      id,
      etag,
      type: NSG_TYPE,
      location: body.location ?? existing?.location ?? 'westeurope',
      ...(body.tags !== undefined ? { tags: body.tags } : {}),
      properties: {
        provisioningState: 'Succeeded',
        resourceGuid: (existing?.properties.resourceGuid as string | undefined) ?? randomUUID(),
        securityRules: (body.properties?.securityRules ?? []).map((rule) =>
          this.toRule(id, rule as Record<string, unknown>, etag),
        ),
        defaultSecurityRules: existing?.properties.defaultSecurityRules ?? defaultRules(id, etag),
      },
    };
    this.nsgs.set(key(id), nsg);
    this.modifiedAt.set(key(id), Date.now());
    this.deletedAt.delete(key(id));
    return nsg;
  }

  deleteNsg(id: string): void {
    this.nsgs.delete(key(id));
    this.deletedAt.set(key(id), Date.now());
  }

  getNsg(id: string): NsgJson | undefined {
    return this.nsgs.get(key(id));
  }

  /** The operation still updating this resource, if any: the network RP runs one at a time. */
  operationUpdating(resourceId: string, now: number): OperationRecord | undefined {
    const operation = this.updating.get(key(resourceId));
    return operation !== undefined && operation.holdsUntil > now ? operation : undefined;
  }

  startOperation(operation: OperationRecord): void {
    this.operations.set(operation.id, operation);
    if (operation.resourceKey !== undefined) this.updating.set(operation.resourceKey, operation);
  }

  finishOperation(operation: OperationRecord): void {
    operation.holdsUntil = 0;
    if (operation.resourceKey !== undefined && this.updating.get(operation.resourceKey) === operation)
      this.updating.delete(operation.resourceKey);
  }

  /** Every change to an NSG or its rules gives the whole NSG a new etag, as in ARM. */
  touch(nsg: NsgJson): void {
    nsg.etag = newEtag();
    this.modifiedAt.set(key(nsg.id), Date.now());
    for (const rule of nsg.properties.securityRules) rule.etag = nsg.etag;
    for (const rule of nsg.properties.defaultSecurityRules) rule.etag = nsg.etag;
  }

  putRule(
    nsg: NsgJson,
    name: string,
    body: Record<string, unknown>,
  ): { rule: SecurityRuleJson; created: boolean } {
    const rules = nsg.properties.securityRules;
    const index = rules.findIndex((r) => r.name.toLowerCase() === name.toLowerCase());
    const rule = this.toRule(nsg.id, { ...body, name }, nsg.etag);
    if (index >= 0) rules[index] = rule;
    else rules.push(rule);
    this.touch(nsg);
    return { rule, created: index < 0 };
  }

  removeRule(nsg: NsgJson, name: string): boolean {
    const rules = nsg.properties.securityRules;
    const index = rules.findIndex((r) => r.name.toLowerCase() === name.toLowerCase());
    if (index < 0) return false;
    rules.splice(index, 1);
    this.touch(nsg);
    return true;
  }

  /** The lowest free inbound priority at or above `from`, as JIT picks for its rules. */
  freePriority(nsg: NsgJson, from: number, direction = 'Inbound'): number {
    const taken = new Set(
      nsg.properties.securityRules
        .filter((r) => String(r.properties.direction).toLowerCase() === direction.toLowerCase())
        .map((r) => r.properties.priority),
    );
    let priority = from;
    while (taken.has(priority)) priority += 1;
    return priority;
  }

  private toRule(nsgId: string, raw: Record<string, unknown>, etag: string): SecurityRuleJson {
    const name = String(raw.name);
    const properties = { ...((raw.properties as Record<string, unknown> | undefined) ?? {}) };
    delete properties.provisioningState;
    return {
      name,
      id: `${nsgId}/securityRules/${name}`,
      etag,
      type: RULE_TYPE,
      // Real rules always carry the plural lists, as [] when unused (245 of 245 in the recordings).
      properties: {
        provisioningState: 'Succeeded',
        sourcePortRanges: [],
        destinationPortRanges: [],
        sourceAddressPrefixes: [],
        destinationAddressPrefixes: [],
        ...properties,
      },
    };
  }
}

/** JIT's name for a rule it writes: `MicrosoftDefenderForCloud-JITRule-<int32>-<32 hex>` (deny: underscores). */
export function jitRuleName(kind: 'allow' | 'deny'): string {
  const sep = kind === 'allow' ? '-' : '_';
  const number = randomInt(-2_147_483_648, 2_147_483_647);
  const hex = randomUUID().replace(/-/g, '').toUpperCase();
  return `MicrosoftDefenderForCloud-JITRule${sep}${number}${sep}${hex}`;
}

function defaultRules(nsgId: string, etag: string): SecurityRuleJson[] {
  const rule = (
    name: string,
    priority: number,
    direction: string,
    access: string,
    src: string,
    dst: string,
    description: string,
  ): SecurityRuleJson => ({
    name,
    id: `${nsgId}/defaultSecurityRules/${name}`,
    etag,
    type: DEFAULT_RULE_TYPE,
    properties: {
      provisioningState: 'Succeeded',
      description,
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: '*',
      sourceAddressPrefix: src,
      destinationAddressPrefix: dst,
      access,
      priority,
      direction,
      sourcePortRanges: [],
      destinationPortRanges: [],
      sourceAddressPrefixes: [],
      destinationAddressPrefixes: [],
    },
  });
  return [
    rule(
      'AllowVnetInBound',
      65000,
      'Inbound',
      'Allow',
      'VirtualNetwork',
      'VirtualNetwork',
      'Allow inbound traffic from all VMs in VNET',
    ),
    rule(
      'AllowAzureLoadBalancerInBound',
      65001,
      'Inbound',
      'Allow',
      'AzureLoadBalancer',
      '*',
      'Allow inbound traffic from azure load balancer',
    ),
    rule('DenyAllInBound', 65500, 'Inbound', 'Deny', '*', '*', 'Deny all inbound traffic'),
    rule(
      'AllowVnetOutBound',
      65000,
      'Outbound',
      'Allow',
      'VirtualNetwork',
      'VirtualNetwork',
      'Allow outbound traffic from all VMs to all VMs in VNET',
    ),
    rule(
      'AllowInternetOutBound',
      65001,
      'Outbound',
      'Allow',
      '*',
      'Internet',
      'Allow outbound traffic from all VMs to Internet',
    ),
    rule('DenyAllOutBound', 65500, 'Outbound', 'Deny', '*', '*', 'Deny all outbound traffic'),
  ];
}
