import type { GuardrailMode } from '../config/settings.js';
import type { RoleAnchor } from './roleAnchor.js';
import { ArmCallError } from '../adapters/armCallError.js';
import type { FoundRole, RoleGateway } from '../adapters/roleGateway.js';
import type { TeamsSender } from '../adapters/teamsWebhook.js';
import { toTeamsMessage } from '../lib/alerts/adaptiveCard.js';
import {
  buildRoleAlertCard,
  type RoleAlert,
  type RoleChangeLine,
  type RoleStatus,
} from '../lib/alerts/roleAlertCard.js';
import { roleDefinitionGuid } from '../lib/role/roleDefinitionId.js';
import type { RoleShape } from '../lib/role/roleDefinition.js';
import {
  classifyChanges,
  diffRole,
  worstSeverity,
  type ClassifiedChange,
  type Severity,
} from '../lib/role/roleDiff.js';
import { sendPendingAlerts, type AlertOutbox } from './alertOutbox.js';
import type { AuditTrail } from './auditTrail.js';
import type { Logger } from './logger.js';

export type DesiredRole = RoleShape & {
  readonly roleName: string;
  readonly assignableScopes: readonly string[];
};

/** What the reconcile remembers of its own writes, so a stale read is "pending", not new drift. */
export interface RoleWriteMemory {
  recall(roleGuid: string): { readonly before: RoleShape | undefined; readonly at: number } | undefined;
  remember(roleGuid: string, before: RoleShape | undefined, at: number): void;
  /** Fingerprints of drift already alerted, so a persisting drift alerts once. */
  alreadyAlerted(fingerprint: string): boolean;
  markAlerted(fingerprint: string): void;
  /** When this instance first saw a condition it is waiting out (recorded on the first ask). */
  pendingSince(condition: string, now: number): number;
}

export function createRoleWriteMemory(): RoleWriteMemory {
  const writes = new Map<string, { before: RoleShape | undefined; at: number }>();
  const alerted = new Set<string>();
  const pending = new Map<string, number>();
  return {
    pendingSince: (condition, now) => {
      if (!pending.has(condition)) pending.set(condition, now);
      return pending.get(condition)!;
    },
    recall: (guid) => writes.get(guid.toLowerCase()),
    remember: (guid, before, at) => void writes.set(guid.toLowerCase(), { before, at }),
    alreadyAlerted: (fingerprint) => alerted.has(fingerprint),
    markAlerted: (fingerprint) => void alerted.add(fingerprint),
  };
}

export interface ReconcileDeps {
  readonly mode: GuardrailMode;
  readonly scope: string;
  readonly desired: DesiredRole;
  readonly settleMs: number;
  readonly portalUrl: string;
  readonly roles: RoleGateway;
  readonly teams: TeamsSender;
  readonly outbox: AlertOutbox;
  readonly audit: AuditTrail;
  readonly memory: RoleWriteMemory;
  /** The id of the role adopted or created, kept durably: found by id whatever it is renamed to. */
  readonly anchor: RoleAnchor;
  readonly log: Logger;
  readonly now: () => Date;
}

export interface ReconcileRequest {
  readonly dryRun: boolean;
  readonly trigger: 'timer' | 'http' | 'event';
  /** From a role-definition write event: who wrote, and which role (to attribute the change). */
  readonly changedBy?: string;
  readonly changedRoleId?: string;
}

export type RoleChange = Omit<ClassifiedChange, 'field'> & {
  readonly field: ClassifiedChange['field'] | 'description' | 'roleName';
};

export interface RoleReport {
  readonly status: RoleStatus;
  readonly roleName: string;
  readonly roleId: string | undefined;
  readonly severity: Severity | undefined;
  readonly changes: readonly RoleChange[];
  readonly duplicates: readonly string[];
}

const OUTBOX_BUCKET = 'role-reconcile';

/**
 * Keeps the JIT requester role at its desired definition: a list call finds it by name (a read by
 * id when the list, lagging, shows none); missing,
 * it is created with a GUID derived from name and scope; drifted, it is rewritten (enforce) or
 * reported; with two of that name nothing is touched. Every change found or made is alerted once.
 */
export async function reconcileRole(request: ReconcileRequest, deps: ReconcileDeps): Promise<RoleReport> {
  await sendUnsentRoleAlerts(deps);
  const { desired, scope } = deps;
  const guid = roleDefinitionGuid(desired.roleName, scope);
  const found = await findRole(guid, request, deps);
  const write = deps.mode === 'enforce' && !request.dryRun;

  if (found.length > 1) {
    return ambiguous(
      found.map((r) => r.id),
      `role '${desired.roleName}' is ambiguous: ${found.map((r) => r.id).join(', ')}; nothing changed`,
      request,
      deps,
    );
  }

  const actual = found[0];
  const changes = actual === undefined ? missingRoleChanges(desired) : roleChanges(actual, desired);
  const roleId = actual?.id ?? `${scope}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
  const actualGuid = actual ? (actual.id.split('/').pop() ?? guid) : guid;
  if (actual !== undefined) await deps.anchor.remember(scope, desired.roleName, actualGuid);
  if (changes.length === 0)
    return {
      status: 'in-sync',
      roleName: desired.roleName,
      roleId,
      severity: undefined,
      changes: [],
      duplicates: [],
    };

  const severity = worstSeverity(changes);
  const pending: RoleReport = {
    status: 'pending',
    roleName: desired.roleName,
    roleId,
    severity,
    changes,
    duplicates: [],
  };
  if (isOwnWriteSettling(actualGuid, actual, deps)) {
    deps.log.info(`role '${desired.roleName}': a read still shows the definition before our write; pending`);
    return pending;
  }
  let status: RoleStatus = 'drift-reported';
  if (write) {
    try {
      await deps.roles.put(scope, actualGuid, desired);
    } catch (error) {
      // The list did not show a role of this name, but ARM holds one: its lists lag its writes
      // (recorded: `{"value":[]}` right after a PUT). Never create a second one.
      if (!(error instanceof ArmCallError) || error.armCode !== 'RoleDefinitionWithSameNameExists')
        throw error;
      const now = deps.now().getTime();
      if (now - deps.memory.pendingSince(`same-name|${desired.roleName}`, now) < deps.settleMs) {
        deps.log.warn(
          `role '${desired.roleName}': ARM holds a role of this name that its list does not show yet; pending`,
        );
        return pending;
      }
      // Longer than any read lag: a role of this name exists that is not assignable at this scope
      // (names are unique in the tenant). Nothing can be written until someone resolves it.
      return ambiguous(
        [`a role named '${desired.roleName}' that is not assignable at ${scope} (ARM refuses a second one)`],
        `role '${desired.roleName}' cannot be created at ${scope}: a role of this name exists elsewhere in the tenant; nothing changed`,
        request,
        deps,
      );
    }
    deps.memory.remember(actualGuid, actual, deps.now().getTime());
    if (actual === undefined) await deps.anchor.remember(scope, desired.roleName, actualGuid);
    status = actual === undefined ? 'created' : 'updated';
    deps.log.warn(`role '${desired.roleName}' ${status}: ${describe(changes)}`);
  } else {
    deps.log.warn(
      `role '${desired.roleName}' differs from its desired definition (${request.dryRun ? 'dry run' : 'report mode'}): ${describe(changes)}`,
    );
  }
  const report: RoleReport = {
    status,
    roleName: desired.roleName,
    roleId,
    severity,
    changes,
    duplicates: [],
  };
  const eventAboutThisRole = request.changedRoleId?.toLowerCase().endsWith(actualGuid.toLowerCase()) ?? false;
  await alert(report, request, eventAboutThisRole ? request.changedBy : actual?.updatedBy, deps);
  return report;
}

/**
 * The definitions of the desired name at the scope: one list call. ARM's lists lag its writes (a
 * list right after a PUT answered `{"value":[]}` in a real recording), so when the list shows none,
 * the role is read by id (its derived GUID, and the one a write event names): another instance's
 * create, or someone's write the event told us of, is then seen as it is, not as missing.
 */
async function findRole(guid: string, request: ReconcileRequest, deps: ReconcileDeps): Promise<FoundRole[]> {
  const { scope, desired } = deps;
  const listed = await deps.roles.findByName(scope, desired.roleName);
  if (listed.length > 0) return listed;
  // The derived GUID is ours whatever it is called now: renamed or moved out of the list's reach,
  // it is still the role to keep (a rename is drift like any other).
  const ours = await deps.roles.getById(scope, guid);
  if (ours !== undefined) {
    deps.log.info(`role '${desired.roleName}': not listed, read by id (${guid})`);
    return [ours];
  }
  // So is the role adopted earlier under its own GUID: renamed (and perhaps widened in the same
  // write), it is the role requesters are assigned, to be put back, not replaced by a second one.
  const anchored = await deps.anchor.recall(scope, desired.roleName);
  if (anchored !== undefined && anchored.toLowerCase() !== guid.toLowerCase()) {
    const adopted = await deps.roles.getById(scope, anchored);
    if (adopted !== undefined) {
      if ((adopted.roleName ?? '').toLowerCase() === desired.roleName.toLowerCase())
        // Its name is right: the list lags a recent write (ours, often), nothing to warn about.
        deps.log.info(
          `role '${desired.roleName}': not in the list yet (it lags writes); read by its id (${anchored})`,
        );
      else
        deps.log.warn(
          `role '${desired.roleName}' was renamed to '${adopted.roleName ?? ''}': found by the id it was adopted with (${anchored})`,
        );
      return [adopted];
    }
  }
  // A role-write event names the role written: adopted only when it is this role, here.
  const eventGuid = /\/roleDefinitions\/([0-9a-f-]{36})\/?$/i.exec(request.changedRoleId ?? '')?.[1];
  if (
    request.trigger !== 'event' ||
    eventGuid === undefined ||
    eventGuid.toLowerCase() === guid.toLowerCase()
  )
    return [];
  const written = await deps.roles.getById(scope, eventGuid).catch((error: unknown) => {
    deps.log.warn(
      `role '${desired.roleName}': could not read ${eventGuid} named by the event: ${String(error)}`,
    );
    return undefined;
  });
  if (written?.roleName?.toLowerCase() === desired.roleName.toLowerCase() && assignableHere(written, scope)) {
    deps.log.info(`role '${desired.roleName}': not listed yet, read by id (${eventGuid}, from the event)`);
    return [written];
  }
  return [];
}

function assignableHere(role: FoundRole, scope: string): boolean {
  const target = `${scope.replace(/\/+$/, '').toLowerCase()}/`;
  return (role.assignableScopes ?? []).some((s) =>
    target.startsWith(`${s.replace(/\/+$/, '').toLowerCase()}/`),
  );
}

/** Nothing can be written while the name is not ours alone: one critical alert, an error logged. */
async function ambiguous(
  duplicates: readonly string[],
  problem: string,
  request: ReconcileRequest,
  deps: ReconcileDeps,
): Promise<RoleReport> {
  const report: RoleReport = {
    status: 'ambiguous',
    roleName: deps.desired.roleName,
    roleId: undefined,
    severity: 'critical',
    changes: [],
    duplicates,
  };
  deps.log.error(problem);
  await alert(report, request, undefined, deps);
  return report;
}

function roleChanges(actual: FoundRole, desired: DesiredRole): RoleChange[] {
  const changes: RoleChange[] = classifyChanges(diffRole(actual, desired).changes);
  if (actual.roleName !== undefined && actual.roleName !== desired.roleName) {
    changes.push({
      field: 'roleName',
      extra: [actual.roleName],
      missing: [desired.roleName],
      severity: 'critical',
      meaning: 'renamed: requesters and the guardrail look for it by name',
    });
  }
  if ((actual.description ?? '') !== (desired.description ?? '')) {
    changes.push({
      field: 'description',
      extra: actual.description ? [actual.description] : [],
      missing: desired.description ? [desired.description] : [],
      severity: 'info',
      meaning: 'description differs',
    });
  }
  return changes;
}

function missingRoleChanges(desired: DesiredRole): RoleChange[] {
  const none: RoleShape = {
    id: undefined,
    roleName: undefined,
    description: undefined,
    actions: [],
    notActions: [],
    dataActions: [],
    notDataActions: [],
    assignableScopes: [],
  };
  return classifyChanges(diffRole(none, desired).changes);
}

/** After our own write, a read that still shows exactly the old definition (or no role) is lag. */
function isOwnWriteSettling(guid: string, actual: FoundRole | undefined, deps: ReconcileDeps): boolean {
  const write = deps.memory.recall(guid);
  if (write === undefined || deps.now().getTime() - write.at >= deps.settleMs) return false;
  if (actual === undefined || write.before === undefined)
    return actual === undefined && write.before === undefined;
  const stillOld = diffRole(actual, {
    ...write.before,
    assignableScopes: write.before.assignableScopes ?? [],
  }).inSync;
  return stillOld && (actual.description ?? '') === (write.before.description ?? '');
}

async function alert(
  report: RoleReport,
  request: ReconcileRequest,
  changedBy: string | undefined,
  deps: ReconcileDeps,
): Promise<void> {
  // A drift that only gets reported alerts once while it persists; every write alerts.
  const persisting = report.status === 'drift-reported' || report.status === 'ambiguous';
  const what = JSON.stringify([report.changes.map((c) => [c.field, c.extra, c.missing]), report.duplicates]);
  const fingerprint = persisting
    ? `${report.status}|${what}`
    : `${report.status}@${deps.now().toISOString()}|${what}`;
  if (deps.memory.alreadyAlerted(fingerprint)) {
    deps.log.debug(`role drift already alerted: ${report.status}`);
    return;
  }
  await deps.audit.record([
    {
      at: deps.now().toISOString(),
      kind: 'role',
      eventId: request.trigger,
      correlationId: undefined,
      resource: report.roleId ?? report.duplicates.join(' '),
      rule: undefined,
      verdict: report.severity ?? 'info',
      action: report.status,
      outcome: report.status === 'created' || report.status === 'updated' ? 'done' : 'reported',
      detail: JSON.stringify(
        report.changes.map((c) => ({ field: c.field, extra: c.extra, missing: c.missing })),
      ),
      who: changedBy,
      requester: undefined,
    },
  ]);
  const changes: RoleChangeLine[] = report.changes.map((c) => ({
    field: c.field,
    extra: c.extra,
    missing: c.missing,
    severity: c.severity,
  }));
  const card: RoleAlert = {
    roleName: report.roleName,
    roleId: report.roleId,
    scope: deps.scope,
    status: report.status,
    severity: report.severity ?? 'info',
    changes,
    changedBy,
    trigger: request.trigger,
    occurredAt: deps.now().toISOString(),
    duplicates: report.duplicates,
  };
  await deps.outbox.enqueue({
    key: fingerprint,
    eventId: OUTBOX_BUCKET,
    message: toTeamsMessage(buildRoleAlertCard(card, deps.portalUrl)),
  });
  deps.memory.markAlerted(fingerprint);
  await sendUnsentRoleAlerts(deps);
}

async function sendUnsentRoleAlerts(deps: ReconcileDeps): Promise<void> {
  await sendPendingAlerts(OUTBOX_BUCKET, deps.outbox, deps.teams);
}

function describe(changes: readonly RoleChange[]): string {
  return changes
    .map(
      (c) =>
        `${c.field}${c.extra.length ? ` extra [${c.extra.join(', ')}]` : ''}${c.missing.length ? ` missing [${c.missing.join(', ')}]` : ''}`,
    )
    .join('; ');
}
