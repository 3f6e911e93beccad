import requester from '../../config/jit-requester-actions.json' with { type: 'json' };
import type { RoleShape } from './roleDefinition.js';

/** What a person needs to request JIT access, and nothing more (infra's Azure Policy reads the same file). */
export const JIT_REQUESTER_ACTIONS: readonly string[] = requester.actions;

export const DEFAULT_ROLE_NAME: string = requester.defaultRoleName;

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
