import { nsgResourceId, type NsgRef } from '../lib/events/nsgResourceId.js';
import { parseGuardEvent, type RoleWriteEvent } from '../lib/events/parseGuardEvent.js';
import {
  remediateNsg,
  sendUnsentAlerts,
  type RemediationDeps,
  type RemediationOutcome,
} from './remediateNsg.js';

export { RemediationFailedError } from './remediateNsg.js';

export interface GuardDeps extends RemediationDeps {
  /** A role definition was written: reconcile the JIT requester role. */
  readonly reconcileOnRoleWrite: (event: RoleWriteEvent) => Promise<unknown>;
}

export type GuardOutcome =
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'role-reconciled' }
  | { readonly status: 'nsg-gone' }
  | RemediationOutcome;

/**
 * The guard: one NSG write event in, the NSG re-read once, every wildcard JIT rule removed (or
 * reported), ops alerted. Throws when a removal or the alert did not happen, so Event Grid retries.
 */
export async function guardEvent(delivered: unknown, deps: GuardDeps): Promise<GuardOutcome> {
  const event = await parseGuardEvent(delivered);
  if (event.kind === 'ignored') {
    deps.log.debug(`ignored event ${event.eventId}: ${event.reason}`);
    return { status: 'ignored', reason: event.reason };
  }
  if (event.kind === 'role-write') {
    await deps.reconcileOnRoleWrite(event);
    return { status: 'role-reconciled' };
  }
  const ref: NsgRef = event.resource;
  const trigger = {
    eventId: event.eventId,
    correlationId: event.correlationId,
    writer: event.writer,
    source: 'event',
  } as const;
  const nsg = await deps.nsgs.getNsg(ref);
  if (nsg === undefined) {
    // A removal an earlier look started is still alerted when the NSG went away since.
    if ((await deps.intents.openFor(nsgResourceId(ref))).length > 0) {
      return remediateNsg(ref, { name: ref.nsgName, properties: { securityRules: [] } }, trigger, deps);
    }
    deps.log.info(`NSG ${nsgResourceId(ref)} no longer exists; nothing to check`);
    await sendUnsentAlerts(event.eventId, deps);
    return { status: 'nsg-gone' };
  }
  return remediateNsg(ref, nsg, trigger, deps);
}
