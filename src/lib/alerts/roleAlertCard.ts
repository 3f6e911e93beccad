import { adaptiveCard, clip, facts, type AdaptiveCard, type CardElement } from './adaptiveCard.js';
import type { Severity } from '../role/roleDiff.js';

export type RoleStatus = 'in-sync' | 'created' | 'updated' | 'drift-reported' | 'ambiguous' | 'pending';

export interface RoleChangeLine {
  readonly field: string;
  readonly extra: readonly string[];
  readonly missing: readonly string[];
  readonly severity: Severity;
}

/** What a role alert says: which role, what differs, how bad, who changed it, what was done. */
export interface RoleAlert {
  readonly roleName: string;
  readonly roleId: string | undefined;
  readonly scope: string;
  readonly status: RoleStatus;
  readonly severity: Severity;
  readonly changes: readonly RoleChangeLine[];
  /** Who made the change, when an event or ARM tells. */
  readonly changedBy: string | undefined;
  readonly trigger: 'timer' | 'http' | 'event';
  readonly occurredAt: string;
  /** For `ambiguous`: the ids of every role with that name. */
  readonly duplicates: readonly string[];
}

const DONE: Record<RoleStatus, string> = {
  'in-sync': 'nothing (in sync)',
  created: 'created the role at its least-privilege definition',
  updated: 'restored the least-privilege definition',
  'drift-reported': 'reported only (report mode or dry run): the role still differs',
  ambiguous: 'nothing: more than one role has this name; resolve by hand',
  pending: 'nothing: its own recent write is still propagating',
};

/** The Adaptive Card for a change found or made on the JIT requester role. */
export function buildRoleAlertCard(alert: RoleAlert, portalUrl: string): AdaptiveCard {
  const title =
    alert.status === 'ambiguous'
      ? alert.duplicates.length > 1
        ? `Role "${alert.roleName}" is ambiguous: ${alert.duplicates.length} roles share the name`
        : `Role "${alert.roleName}" cannot be kept here: another role in the tenant has this name`
      : alert.status === 'created'
        ? `Role "${alert.roleName}" was missing and has been created`
        : `Role "${alert.roleName}" drifted from least privilege (${alert.severity})`;
  const body: CardElement[] = [
    {
      type: 'TextBlock',
      text: title,
      wrap: true,
      weight: 'Bolder',
      size: 'Medium',
      color: alert.severity === 'critical' || alert.status === 'ambiguous' ? 'Attention' : 'Warning',
    },
    {
      type: 'FactSet',
      facts: facts([
        ['Role', alert.roleName],
        ['Role id', alert.roleId ?? 'n/a'],
        ['Scope', alert.scope],
        ['Severity', alert.severity],
        ['Changed by', alert.changedBy ?? 'unknown'],
        [
          'Found by',
          alert.trigger === 'event'
            ? 'role definition write event'
            : alert.trigger === 'http'
              ? 'reconcile request'
              : 'scheduled reconcile',
        ],
        ['Action taken', DONE[alert.status]],
        ['Time (UTC)', alert.occurredAt],
      ]),
    },
  ];
  for (const change of alert.changes) {
    const lines: [string, string][] = [['Field', `${change.field} (${change.severity})`]];
    if (change.extra.length > 0) lines.push(['Extra', change.extra.join(', ')]);
    if (change.missing.length > 0) lines.push(['Missing', change.missing.join(', ')]);
    body.push({ type: 'FactSet', separator: true, facts: facts(lines) });
  }
  for (const id of alert.duplicates.slice(0, 10)) {
    body.push({ type: 'TextBlock', text: clip(id), wrap: true });
  }
  return adaptiveCard(body, [
    {
      title: 'Open access control (IAM) in the Azure portal',
      url: `${portalUrl}/#resource${alert.scope}/users`,
    },
  ]);
}
