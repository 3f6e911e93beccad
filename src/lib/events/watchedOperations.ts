import watched from '../../config/watched-operations.json' with { type: 'json' };

/** The event type the guard acts on (the Event Grid filter in infra reads the same file). */
export const RESOURCE_WRITE_SUCCESS = watched.eventTypes[0] as 'Microsoft.Resources.ResourceWriteSuccess';

/** ARM operations whose success may have put a JIT rule on an NSG. */
export const WATCHED_NSG_OPERATIONS: readonly string[] = watched.nsgOperations;

/** A write to a role definition: the JIT requester role may have drifted. */
export const WATCHED_ROLE_OPERATIONS: readonly string[] = watched.roleOperations;

const matches = (list: readonly string[], operationName: string) => {
  const wanted = operationName.toLowerCase();
  return list.some((op) => op.toLowerCase() === wanted);
};

export function isWatchedNsgOperation(operationName: string): boolean {
  return matches(WATCHED_NSG_OPERATIONS, operationName);
}

export function isWatchedRoleOperation(operationName: string): boolean {
  return matches(WATCHED_ROLE_OPERATIONS, operationName);
}
