/**
 * Azure portal deep links. The portal documents none of these forms; they are the ones the portal
 * itself puts in the address bar and that admins share. They cannot be followed offline, so tests
 * check their shape only: a link that no longer filters still opens the right blade.
 */

/** An NSG's overview page. */
export function nsgPortalUrl(portalUrl: string, nsgId: string): string {
  return `${portalUrl}/#resource${nsgId}/overview`;
}

/** Defender for Cloud's JIT page, where a VM's JIT policy (its allowed sources) is edited. */
export function jitPortalUrl(portalUrl: string): string {
  return `${portalUrl}/#view/Microsoft_Azure_Security/JitVmsBlade`;
}

/**
 * The Activity log searched for `searchString` (a role definition's GUID, say) in one subscription,
 * from a day before `around` to an hour after: the blade's `queryInputs` form.
 */
export function activityLogUrl(
  portalUrl: string,
  filter: {
    readonly searchString: string | undefined;
    readonly subscriptionId: string | undefined;
    readonly around: string;
  },
): string {
  const around = Date.parse(filter.around);
  const at = Number.isNaN(around) ? Date.now() : around;
  const query = {
    query: {
      ...(filter.searchString === undefined ? {} : { searchString: filter.searchString }),
      // "3": a custom time span, from startTime to endTime.
      timeSpan: '3',
      startTime: new Date(at - 24 * 3_600_000).toISOString(),
      endTime: new Date(at + 3_600_000).toISOString(),
      ...(filter.subscriptionId === undefined ? {} : { subscriptions: [filter.subscriptionId] }),
    },
  };
  return `${portalUrl}/#blade/Microsoft_Azure_ActivityLog/ActivityLogBlade/queryInputs/${encodeURIComponent(JSON.stringify(query))}`;
}
