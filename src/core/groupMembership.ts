import type { ResourceGraphGateway } from '../adapters/resourceGraphGateway.js';

/** How long the list of a group's subscriptions is trusted, and how often a miss may re-read it. */
export const MEMBERS_TTL_MS = 60 * 60 * 1000;
export const MISS_REREAD_MS = 60 * 1000;

/** Whether a subscription is below the guarded management group (throws when that cannot be told). */
export type GroupMembership = (subscriptionId: string) => Promise<boolean>;

/**
 * The group's subscriptions through Resource Graph, read once an hour, and again on a miss at most
 * once a minute (a subscription created since is found, a forged one does not cost a query per
 * event). A failed read throws: the event is then redelivered rather than acted on or dropped.
 */
export function cacheGroupMembership(
  graph: ResourceGraphGateway,
  managementGroupId: string,
  now: () => Date,
): GroupMembership {
  let members: { readAt: number; ids: Set<string> } | undefined;
  let reading: Promise<Set<string>> | undefined;
  const read = (): Promise<Set<string>> =>
    (reading ??= graph
      .subscriptionsBelow(managementGroupId)
      .then((ids) => {
        members = { readAt: now().getTime(), ids: new Set(ids.map((id) => id.toLowerCase())) };
        return members.ids;
      })
      .finally(() => {
        reading = undefined;
      }));
  return async (subscriptionId) => {
    const id = subscriptionId.toLowerCase();
    const age = members === undefined ? Infinity : now().getTime() - members.readAt;
    if (members !== undefined && age < MEMBERS_TTL_MS && members.ids.has(id)) return true;
    if (members !== undefined && age < MISS_REREAD_MS) return false;
    return (await read()).has(id);
  };
}
