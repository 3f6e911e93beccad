import registered from './registeredApiVersions.json' with { type: 'json' };
import { armError, type Reply } from './routing.js';

interface RegisteredType {
  readonly versions: readonly string[];
  readonly recorded: readonly string[];
}

const types: Record<string, RegisteredType> = registered.types;

/** The resource type a path addresses, as ARM names it in its error, and the versions it accepts. */
interface Family {
  readonly pattern: RegExp;
  readonly type: string;
  readonly accepted: ReadonlySet<string>;
}

const versionsOf = (...names: string[]): ReadonlySet<string> =>
  new Set(names.flatMap((name) => [...(types[name]?.versions ?? []), ...(types[name]?.recorded ?? [])]));

// The network RP registers one set of versions for all its types: a version confirmed for NICs
// (same spec folder) is one for NSGs too.
const NETWORK = versionsOf('Microsoft.Network/networkSecurityGroups', 'Microsoft.Network/networkInterfaces');

const FAMILIES: readonly Family[] = [
  {
    pattern: /\/providers\/Microsoft\.Network\/networkSecurityGroups/i,
    type: 'networkSecurityGroups',
    accepted: NETWORK,
  },
  {
    pattern: /\/providers\/Microsoft\.Network\/networkInterfaces/i,
    type: 'networkInterfaces',
    accepted: NETWORK,
  },
  {
    pattern: /\/providers\/Microsoft\.Network\/locations\//i,
    type: 'locations/operations',
    accepted: NETWORK,
  },
  {
    pattern: /\/providers\/Microsoft\.Security\/(locations\/[^/]+\/)?jitNetworkAccessPolicies/i,
    type: 'locations/jitNetworkAccessPolicies',
    accepted: versionsOf('Microsoft.Security/locations/jitNetworkAccessPolicies'),
  },
  {
    pattern: /\/providers\/Microsoft\.Authorization\/roleDefinitions/i,
    type: 'roleDefinitions',
    accepted: versionsOf('Microsoft.Authorization/roleDefinitions'),
  },
  {
    pattern: /^\/providers\/Microsoft\.ResourceGraph\/resources/i,
    type: 'resources',
    accepted: versionsOf('Microsoft.ResourceGraph/resources'),
  },
  {
    pattern: /\/providers\/Microsoft\.Compute\/virtualMachines/i,
    type: 'virtualMachines',
    accepted: versionsOf('Microsoft.Compute/virtualMachines'),
  },
];

/** A subscription itself (no provider segment): Microsoft.Resources' own versions. */
const SUBSCRIPTION: Family = {
  pattern: /^\/subscriptions\/[^/]+\/?$/i,
  type: 'subscriptions',
  accepted: versionsOf('Microsoft.Resources/subscriptions'),
};

/**
 * Real ARM refuses an api-version its resource provider did not register (400
 * `NoRegisteredProviderFound`, naming the versions it supports); so does the emulator, with the
 * versions the published specs define (`registeredApiVersions.json`, with its source).
 */
export function unregisteredApiVersion(path: string, apiVersion: string): Reply | undefined {
  // The type is the one the last provider segment names (a role definition at an NSG's scope is
  // Microsoft.Authorization's).
  const at = path.toLowerCase().lastIndexOf('/providers/');
  const family =
    at < 0
      ? SUBSCRIPTION.pattern.test(path)
        ? SUBSCRIPTION
        : undefined
      : FAMILIES.find((f) => f.pattern.test(path.slice(at)));
  if (family === undefined || family.accepted.has(apiVersion)) return undefined;
  const supported = [...family.accepted].sort().reverse().join(', ');
  return armError(
    400,
    'NoRegisteredProviderFound',
    `No registered resource provider found for API version '${apiVersion}' for type '${family.type}'. The supported api-versions are '${supported}'.`,
  );
}
