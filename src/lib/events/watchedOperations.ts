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
