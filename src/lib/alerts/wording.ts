import { isReadableAddress, isWildcardSource } from '../nsg/sourceWildcard.js';
import { plain } from './adaptiveCard.js';

const WELL_KNOWN_PORTS: Record<string, string> = {
  '22': 'SSH',
  '3389': 'RDP',
  '5985': 'WinRM',
  '5986': 'WinRM over HTTPS',
  '80': 'HTTP',
  '443': 'HTTPS',
  '1433': 'SQL Server',
  '3306': 'MySQL',
  '5432': 'PostgreSQL',
};

/** "22 (SSH)", "8080", "1000-2000". */
export function describePort(port: string): string {
  const name = WELL_KNOWN_PORTS[port.trim()];
  return name === undefined ? plain(port, 40) : `${port.trim()} (${name})`;
}

/** A source as ops read it, the literal value kept in brackets: "any address (*)". */
export function describeSource(source: string): string {
  const value = plain(source, 60);
  switch (value.toLowerCase()) {
    case '*':
    case 'any':
      return `any address (${value})`;
    case 'internet':
      return `the internet (${value})`;
    case '0.0.0.0/0':
      return `any IPv4 address (${value})`;
    case '::/0':
      return `any IPv6 address (${value})`;
    default:
      return isReadableAddress(source) || source.trim() === ''
        ? `a range this broad (${value})`
        : `a source that is no address it can read (${value})`;
  }
}

/**
 * A rule's sources as ops read them: the ones that are wildcards each on their own, or, when only
 * together they are (a wildcard cut into pieces), how many address ranges and the first of them.
 */
export function describeSources(sources: readonly string[]): string[] {
  const wildcards = sources.filter(isWildcardSource);
  if (wildcards.length > 0) return wildcards.map(describeSource);
  const ranges = sources.filter(isReadableAddress);
  if (ranges.length === 0) return [];
  const first = ranges.slice(0, 2).map((s) => plain(s, 60));
  const more = ranges.length > first.length ? ', …' : '';
  return [`${ranges.length} ranges that together are this broad (${first.join(', ')}${more})`];
}

const ACTION_WORDS: Record<string, string> = {
  '*': 'do anything',
  'microsoft.security/locations/jitnetworkaccesspolicies/write': 'edit JIT policies',
  'microsoft.security/locations/jitnetworkaccesspolicies/delete': 'delete JIT policies',
  'microsoft.security/locations/jitnetworkaccesspolicies/*': 'do anything with JIT policies',
  'microsoft.security/locations/jitnetworkaccesspolicies/initiate/action': 'request JIT access',
  'microsoft.security/locations/jitnetworkaccesspolicies/*/read': 'read JIT policies',
  'microsoft.compute/virtualmachines/read': 'see VMs',
  'microsoft.network/networkinterfaces/*/read': 'see network interfaces',
  'microsoft.network/networksecuritygroups/*': 'change NSGs and their rules',
  'microsoft.network/networksecuritygroups/securityrules/write': 'write NSG rules',
  'microsoft.authorization/*': 'manage access: roles and role assignments',
  'microsoft.authorization/roleassignments/write': 'grant any role to anyone',
  'microsoft.authorization/roledefinitions/write': 'rewrite roles',
};

/** What a permission lets its holder do, in words, the action kept in brackets. */
export function describeAction(action: string): string {
  const value = plain(action, 200);
  const known = ACTION_WORDS[value.toLowerCase()];
  if (known !== undefined) return `${known} (${value})`;
  const parts = value.split('/').filter(Boolean);
  const verb = parts.at(-1)?.toLowerCase();
  const type = parts.length >= 2 ? parts[parts.length - 2]! : value;
  const words =
    verb === 'read'
      ? `read ${type}`
      : verb === 'write'
        ? `create or change ${type}`
        : verb === 'delete'
          ? `delete ${type}`
          : verb === '*'
            ? `do anything with ${type}`
            : `run ${parts.at(-2) ?? value}`;
  return `${words} (${value})`;
}
