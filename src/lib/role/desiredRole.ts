import type { RoleShape } from './roleDefinition.js';

/** What a person needs to request JIT access, and nothing more. */
export const JIT_REQUESTER_ACTIONS = [
  'Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action',
  'Microsoft.Security/locations/jitNetworkAccessPolicies/*/read',
  'Microsoft.Compute/virtualMachines/read',
  'Microsoft.Network/networkInterfaces/*/read',
] as const;

export const DEFAULT_ROLE_NAME = 'JIT Access Requester';

export const DEFAULT_ROLE_DESCRIPTION =
  'Can request Just-In-Time VM access through Microsoft Defender for Cloud, and nothing more. Owned by jit-guardrail: changes are reverted.';

/** The built-in desired role; assignable scopes are left to the caller (the CLI does not compare them). */
export function defaultDesiredRole(
  roleName = DEFAULT_ROLE_NAME,
  assignableScopes?: readonly string[],
): RoleShape {
  return {
    id: undefined,
    roleName,
    description: DEFAULT_ROLE_DESCRIPTION,
    actions: [...JIT_REQUESTER_ACTIONS],
    notActions: [],
    dataActions: [],
    notDataActions: [],
    assignableScopes,
  };
}
