/**
 * The id of the JIT requester role the reconcile adopted or created, kept durably. A role that
 * existed before the guardrail keeps its own GUID, so its name is the only other way to find it:
 * renamed (and widened in the same write), it would look missing and a second role would be
 * created while the first kept every assignment. The anchor finds it by id whatever its name.
 */
export interface RoleAnchor {
  recall(scope: string, roleName: string): Promise<string | undefined>;
  remember(scope: string, roleName: string, guid: string): Promise<void>;
}

export const anchorKey = (scope: string, roleName: string) =>
  `${scope.replace(/\/+$/, '').toLowerCase()}|${roleName.toLowerCase()}`;

export function createMemoryRoleAnchor(): RoleAnchor {
  const anchors = new Map<string, string>();
  return {
    recall: async (scope, roleName) => anchors.get(anchorKey(scope, roleName)),
    remember: async (scope, roleName, guid) =>
      void anchors.set(anchorKey(scope, roleName), guid.toLowerCase()),
  };
}
