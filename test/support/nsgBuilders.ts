/** Small builders for NSG documents as ARM returns them. */
export interface RuleSpec {
  name: string;
  access?: string;
  direction?: string;
  source?: string;
  sources?: readonly string[];
  port?: string;
  priority?: number;
  description?: string;
}

export const ALLOW_NAME_NEW = 'MicrosoftDefenderForCloud-JITRule-1170687618-8C18BF8921F041989344B4F1E3A0C370';
export const ALLOW_NAME_OLD = 'SecurityCenter-JITRule-1170687618-8C18BF8921F041989344B4F1E3A0C370';
export const DENY_NAME_NEW = 'MicrosoftDefenderForCloud-JITRule_-1105480617_9EF6E2B0D1C84A0C8D7A7B1E8E2F3A41';
export const DENY_NAME_OLD = 'SecurityCenter-JITRule_-1105480617_9EF6E2B0D1C84A0C8D7A7B1E8E2F3A41';

export function rule(spec: RuleSpec): Record<string, unknown> {
  return {
    name: spec.name,
    id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/${spec.name}`,
    properties: {
      description:
        spec.description ??
        "MDC JIT Network Access rule created by an initiation request for policy 'default' of VM 'vm1'.",
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: spec.port ?? '22',
      ...(spec.source !== undefined ? { sourceAddressPrefix: spec.source } : {}),
      ...(spec.sources !== undefined ? { sourceAddressPrefixes: spec.sources } : {}),
      destinationAddressPrefix: '*',
      access: spec.access ?? 'Allow',
      priority: spec.priority ?? 100,
      direction: spec.direction ?? 'Inbound',
    },
  };
}

export function nsg(
  rules: Record<string, unknown>[],
  tags?: Record<string, string>,
): Record<string, unknown> {
  return {
    id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg',
    name: 'nsg',
    location: 'westeurope',
    ...(tags ? { tags } : {}),
    properties: { securityRules: rules, defaultSecurityRules: [] },
  };
}
