import {
  adaptiveCard,
  fact,
  fitForTeams,
  footer,
  paragraph,
  plain,
  readableTime,
  run,
  type AdaptiveCard,
  type CardElement,
  type TextColor,
} from './adaptiveCard.js';
import { activityLogUrl } from './portalLinks.js';
import { describeAction } from './wording.js';
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

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const SEVERITY_LABEL: Record<Severity, string> = { critical: 'Critical', warning: 'Warning', info: 'Info' };

/** The card for a change found or made on the JIT requester role: what it could do, in words. */
export function buildRoleAlertCard(alert: RoleAlert, portalUrl: string): AdaptiveCard {
  return fitForTeams((level) => buildAtLevel(alert, portalUrl, level), 2);
}

function buildAtLevel(alert: RoleAlert, portalUrl: string, level: number): AdaptiveCard {
  const role = `"${plain(alert.roleName, 120)}"`;
  const changes = [...alert.changes].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  const gained = changes.flatMap((c) => (c.field === 'actions' || c.field === 'dataActions' ? c.extra : []));
  const headline = headlineOf(alert, role, gained);
  // Critical drift stands out even once restored: while it lasted, requesters could do more.
  const color: TextColor =
    alert.status === 'ambiguous' || alert.severity === 'critical' ? 'Attention' : 'Default';
  const body: CardElement[] = [paragraph([run(headline, { weight: 'Bolder', size: 'Medium', color })])];
  const limit = level === 0 ? 10 : 3;
  for (const change of changes) {
    for (const sentence of sentencesOf(change).slice(0, limit)) {
      body.push(fact(SEVERITY_LABEL[change.severity], sentence));
    }
  }
  for (const id of alert.duplicates.slice(0, limit)) body.push(fact('Role with this name', id));
  body.push(fact('Changed by', alert.changedBy ?? 'unknown (not in the event, and ARM does not say)'));
  body.push(
    fact(
      'Found by',
      alert.trigger === 'event'
        ? 'a role definition write event'
        : alert.trigger === 'http'
          ? 'a reconcile request'
          : 'the scheduled reconcile',
    ),
  );
  body.push(fact('Action', DONE[alert.status]));
  body.push(fact('Next', nextStepOf(alert)));
  body.push(
    footer([
      ['Role id', alert.roleId ?? 'n/a'],
      ['Scope', alert.scope],
      ['Time', readableTime(alert.occurredAt)],
    ]),
  );
  return adaptiveCard(headline, body, [
    {
      title: 'Open Activity log',
      // Filtered to this role: its GUID appears in every write and delete of it.
      url: activityLogUrl(portalUrl, {
        // Without an id (an ambiguous name) no search: the log names roles by id, not by name.
        searchString: alert.roleId?.split('/').at(-1),
        subscriptionId: /^\/subscriptions\/([^/]+)/i.exec(alert.scope)?.[1],
        around: alert.occurredAt,
      }),
    },
    { title: 'Open IAM', url: `${portalUrl}/#resource${alert.scope}/users` },
  ]);
}

function headlineOf(alert: RoleAlert, role: string, gained: readonly string[]): string {
  const could =
    gained.length > 0
      ? `: it could ${describeAction(gained[0]!)}${gained.length > 1 ? ` and ${gained.length - 1} more` : ''}`
      : '';
  switch (alert.status) {
    case 'ambiguous':
      return alert.duplicates.length > 1
        ? `AMBIGUOUS: ${alert.duplicates.length} roles are named ${role}; the guardrail keeps neither until one is removed`
        : `BLOCKED: another role in the tenant is named ${role}; it cannot be kept here`;
    case 'created':
      return `Created: the JIT requester role ${role} was missing`;
    case 'updated':
      return `Restored: role ${role} had drifted (${alert.severity})${could}`;
    case 'drift-reported':
      return `STILL DRIFTED: role ${role} differs from least privilege (${alert.severity})${could}`;
    default:
      return `Role ${role}: ${DONE[alert.status]}`;
  }
}

/** One change in words: what the role could do that it should not, or can no longer do. */
function sentencesOf(change: RoleChangeLine): string[] {
  switch (change.field) {
    case 'actions':
    case 'dataActions':
      return [
        ...change.extra.map((a) => `could ${describeAction(a)}`),
        ...change.missing.map((a) => `requesters could not ${describeAction(a)}`),
      ];
    case 'notActions':
    case 'notDataActions':
      return [
        ...change.extra.map((a) => `excludes ${plain(a, 200)}`),
        ...change.missing.map((a) => `no longer excludes ${plain(a, 200)}`),
      ];
    case 'assignableScopes':
      return [
        ...change.extra.map((s) => `can be assigned at ${plain(s, 200)}`),
        ...change.missing.map((s) => `can no longer be assigned at ${plain(s, 200)}`),
      ];
    case 'roleName':
      return [
        `renamed to "${plain(change.extra[0] ?? '', 120)}": requesters and the guardrail look for it by name`,
      ];
    case 'description':
      return ['its description was changed'];
    default:
      return [`${change.field} differs`];
  }
}

function nextStepOf(alert: RoleAlert): string {
  switch (alert.status) {
    case 'updated':
    case 'created':
      return alert.severity === 'critical'
        ? 'ask who changed it why; if unexpected, check in the Activity log what was done with the extra rights while they lasted (e.g. JIT policies edited).'
        : 'ask who changed it why (Open Activity log); the guardrail keeps the role at least privilege.';
    case 'drift-reported':
      return 'run the reconcile with {"dryRun": false}, or set GUARDRAIL_MODE=enforce, to restore it.';
    case 'ambiguous':
      return 'rename or delete the roles that are not the JIT requester role (Open IAM).';
    default:
      return 'nothing to do.';
  }
}
