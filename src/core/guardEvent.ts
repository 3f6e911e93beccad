import type { GroupMembership } from './groupMembership.js';
import { nsgResourceId, type NsgRef } from '../lib/events/nsgResourceId.js';
import { parseGuardEvent } from '../lib/events/parseGuardEvent.js';
import {
  remediateNsg,
  sendUnsentAlerts,
  type RemediationDeps,
  type RemediationOutcome,
} from './remediateNsg.js';

export { RemediationFailedError } from './remediateNsg.js';

export interface GuardDeps extends RemediationDeps {
  /** Subscriptions this deployment guards; an event from any other is ignored, never acted on. */
  readonly guardedSubscriptions: readonly string[];
  /**
   * Set when every subscription of a management group is guarded: an event of a subscription not
   * listed is acted on when that subscription is below the group now (a new one needs no redeploy;
   * one moved out, or named by a forged event, is not).
   */
  readonly isBelowGuardedGroup?: GroupMembership | undefined;
}

export type GuardOutcome =
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'nsg-gone' }
  | RemediationOutcome;

/**
 * The guard: one NSG write event in, the NSG re-read once, every wildcard JIT rule removed (or
 * reported), ops alerted. Throws when a removal or the alert did not happen, so Event Grid retries.
 */
export async function guardEvent(delivered: unknown, deps: GuardDeps): Promise<GuardOutcome> {
  const event = await parseGuardEvent(delivered);
  const ignored = (reason: string): GuardOutcome => {
    deps.log.debug(`ignored event ${event.eventId}: ${reason}`);
    return { status: 'ignored', reason };
  };
  if (event.kind === 'ignored') return ignored(event.reason);
  // Role writes go to the reconciler app: this identity could not act on them anyway.
  if (event.kind === 'role-write') return ignored('a role-definition write: the reconciler app handles it');
  const ref: NsgRef = event.resource;
  const subscription = ref.subscriptionId.toLowerCase();
  const listed = deps.guardedSubscriptions.some((guarded) => guarded.toLowerCase() === subscription);
  if (!listed && !(await deps.isBelowGuardedGroup?.(ref.subscriptionId))) {
    deps.log.warn(
      `ignored event ${event.eventId}: subscription ${ref.subscriptionId} is not one this deployment guards`,
    );
    return { status: 'ignored', reason: `subscription ${ref.subscriptionId} is not guarded here` };
  }
  const trigger = {
    eventId: event.eventId,
    correlationId: event.correlationId,
    writer: event.writer,
    source: 'event',
    ruleWrittenAt: event.eventTime || undefined,
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
