import { parseGuardEvent } from '../lib/events/parseGuardEvent.js';
import { reconcileRole, type ReconcileDeps, type RoleReport } from './reconcileRole.js';

export type RoleEventOutcome =
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'role-reconciled'; readonly report: RoleReport };

/**
 * The reconciler's event path: a role definition was written somewhere in the subscription, so the
 * JIT requester role is reconciled now rather than at the next timer. NSG events belong to the
 * guard app and are ignored here (its own event subscription delivers them there).
 */
export async function roleEvent(delivered: unknown, deps: ReconcileDeps): Promise<RoleEventOutcome> {
  const event = await parseGuardEvent(delivered);
  if (event.kind !== 'role-write') {
    const reason = event.kind === 'ignored' ? event.reason : 'an NSG write: the guard app handles it';
    deps.log.debug(`ignored event ${event.eventId}: ${reason}`);
    return { status: 'ignored', reason };
  }
  const report = await reconcileRole(
    {
      dryRun: false,
      trigger: 'event',
      changedBy: event.writer.display,
      changedRoleId: event.roleDefinitionId,
    },
    deps,
  );
  return { status: 'role-reconciled', report };
}
