export const RESOURCE_WRITE_SUCCESS = 'Microsoft.Resources.ResourceWriteSuccess';

/** ARM operations whose success may have put a JIT rule on an NSG. */
export const WATCHED_NSG_OPERATIONS = [
  'Microsoft.Network/networkSecurityGroups/write',
  'Microsoft.Network/networkSecurityGroups/securityRules/write',
] as const;

export function isWatchedNsgOperation(operationName: string): boolean {
  const wanted = operationName.toLowerCase();
  return WATCHED_NSG_OPERATIONS.some((op) => op.toLowerCase() === wanted);
}

/** A write to a role definition: the JIT requester role may have drifted. */
export const WATCHED_ROLE_OPERATIONS = ['Microsoft.Authorization/roleDefinitions/write'] as const;

export function isWatchedRoleOperation(operationName: string): boolean {
  const wanted = operationName.toLowerCase();
  return WATCHED_ROLE_OPERATIONS.some((op) => op.toLowerCase() === wanted);
}
