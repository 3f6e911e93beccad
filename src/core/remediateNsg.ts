import { createHash } from 'node:crypto';
import type { GuardrailMode } from '../config/settings.js';
import { ArmCallError } from '../adapters/armCallError.js';
import type { JitPolicyGateway } from '../adapters/jitPolicyGateway.js';
import type { NsgGateway } from '../adapters/nsgGateway.js';
import type { TeamsSender } from '../adapters/teamsWebhook.js';
import { toTeamsMessage } from '../lib/alerts/adaptiveCard.js';
import type { ActionTaken, GuardAlert, RuleFinding } from '../lib/alerts/guardAlert.js';
import { buildNsgAlertCard } from '../lib/alerts/nsgAlertCard.js';
import { nsgResourceId, type NsgRef } from '../lib/events/nsgResourceId.js';
import type { Writer } from '../lib/events/writer.js';
import { auditJitPolicies } from '../lib/jit/auditPolicies.js';
import { findJitRequest, singlePortsOf, type JitPolicyLike } from '../lib/jit/findJitRequest.js';
import { evaluateNsg, judgeRuleNow } from '../lib/nsg/evaluateNsg.js';
import { EXEMPTION_TAG } from '../lib/nsg/exemption.js';
import { vmNameFromDescription } from '../lib/nsg/jitRuleName.js';
import {
  destinationPortsOf,
  sourcePrefixesOf,
  type NsgDocument,
  type SecurityRuleDocument,
} from '../lib/nsg/nsgDocument.js';
import { sendPendingAlerts, type AlertOutbox } from './alertOutbox.js';
import type { AuditRecord, AuditTrail } from './auditTrail.js';
import type { Logger } from './logger.js';
import type { SubscriptionNames } from './subscriptionNames.js';
import { findingKey, trimRule, type RemovalIntent, type RemovalIntents } from './removalIntents.js';

/** What removing wildcard JIT rules from one NSG needs; the event guard and the sweep share it. */
export interface RemediationDeps {
  readonly mode: GuardrailMode;
  readonly portalUrl: string;
  /** How far ahead an exemption tag may end and still keep a wildcard rule. */
  readonly exemptionMaxDays: number;
  readonly nsgs: NsgGateway;
  readonly jitPolicies: JitPolicyGateway;
  /** Display names for cards; a lookup that fails leaves the name out, never the alert. */
  readonly subscriptionNames: SubscriptionNames;
  readonly teams: TeamsSender;
  readonly outbox: AlertOutbox;
  readonly intents: RemovalIntents;
  readonly audit: AuditTrail;
  readonly log: Logger;
  readonly now: () => Date;
}

/** Why the NSG is being looked at: an event, or a sweep that stands in for a missed one. */
export interface RemediationTrigger {
  /** Groups the alerts this look sends; an alert is keyed by the rules it reports, not by this. */
  readonly eventId: string;
  readonly correlationId: string | undefined;
  readonly writer: Writer;
  /** An event's clean check is audited; a sweep's thousands of clean NSGs are not. */
  readonly source: 'event' | 'sweep';
  /** When the write the event reports happened; the sweep knows only the JIT request's start. */
  readonly ruleWrittenAt?: string | undefined;
}

export type RemediationOutcome =
  | { readonly status: 'clean'; readonly rulesChecked: number }
  | { readonly status: 'acted'; readonly findings: readonly RuleFinding[] };

/** Some wildcard rules are still in place; the caller must fail so the removal is retried. */
export class RemediationFailedError extends Error {
  constructor(
    readonly failures: readonly ArmCallError[],
    options?: { cause?: unknown },
  ) {
    super(
      `could not remove ${failures.length} wildcard JIT rule(s): ${failures.map((f) => f.message).join('; ')}`,
      options,
    );
    this.name = 'RemediationFailedError';
  }
}

/**
 * Decides on an NSG as just read, removes every wildcard JIT rule (or reports it), explains each
 * from the JIT policy, and alerts. Throws when a removal or the alert did not happen.
 */
export async function remediateNsg(
  ref: NsgRef,
  nsg: NsgDocument,
  trigger: RemediationTrigger,
  deps: RemediationDeps,
): Promise<RemediationOutcome> {
  const evaluation = evaluateNsg(nsg, deps.now(), deps.exemptionMaxDays);
  if (evaluation.exemption.status === 'invalid') {
    deps.log.warn(
      `NSG ${nsg.name}: tag jit-guardrail-exempt-until='${evaluation.exemption.tagValue}' is ${evaluation.exemption.problem}; it exempts nothing`,
    );
  }
  const nsgId = nsgResourceId(ref).toLowerCase();
  const rulesByName = new Map(nsg.properties.securityRules.map((r) => [r.name, r]));
  const toRemove = evaluation.rules
    .filter((r) => r.verdict === 'remove')
    .map((r) => rulesByName.get(r.name))
    .filter((r): r is SecurityRuleDocument => r !== undefined);
  // Wildcard JIT rules an exemption keeps are never silent: audited and alerted (info) like a removal.
  const exemptUntil = evaluation.exemption.status === 'active' ? evaluation.exemption.until : undefined;
  const exempted: Removal[] = evaluation.rules
    .filter((r) => r.reason === 'exempt')
    .map((r) => rulesByName.get(r.name))
    .filter((r): r is SecurityRuleDocument => r !== undefined)
    .map((rule) => ({ rule, action: 'kept-exempt', failure: undefined, exemptUntil }));

  // Intents an earlier look left open: a rule no longer in the NSG was removed by it, and is alerted
  // now; one still there but no longer to be removed as judged then (kept, or changed) is done.
  const open = await deps.intents.openFor(nsgId);
  const present = new Set(nsg.properties.securityRules.map((r) => r.name.toLowerCase()));
  const toRemoveKeys = new Set(toRemove.map((r) => findingKey(nsgId, r)));
  const finished = open.filter((i) => !present.has(i.rule.name.toLowerCase()));
  const superseded = open.filter((i) => present.has(i.rule.name.toLowerCase()) && !toRemoveKeys.has(i.key));

  if (toRemove.length === 0 && finished.length === 0 && exempted.length === 0) {
    if (superseded.length > 0) await deps.intents.settle(superseded.map((i) => i.key));
    if (trigger.source === 'event') {
      await deps.audit.record([
        auditRecord(ref, trigger, deps, {
          rule: '*',
          verdict: 'keep',
          action: 'none',
          outcome: 'done',
          detail: `${evaluation.rules.length} rule(s) checked`,
        }),
      ]);
    }
    await sendUnsentAlerts(trigger.eventId, deps);
    return { status: 'clean', rulesChecked: evaluation.rules.length };
  }

  if (deps.mode === 'enforce' && toRemove.length > 0) {
    const recordedAt = deps.now().toISOString();
    await deps.intents.record(
      toRemove.map((rule): RemovalIntent => ({
        key: findingKey(nsgId, rule),
        nsgId,
        rule: trimRule(rule),
        eventId: trigger.eventId,
        recordedAt,
      })),
    );
  }
  const carriedOver: Removal[] = finished.map((i) => ({
    rule: i.rule,
    action: 'removed',
    failure: undefined,
    carriedOver: true,
  }));
  const attempted = [...carriedOver, ...(await removeRules(ref, toRemove, nsg.tags, deps))];
  // A rule that changed before its DELETE (narrowed, exempted) was kept: audited, not alerted.
  const kept = attempted.filter((r) => r.action === 'kept');
  if (kept.length > 0) {
    await deps.audit.record(
      kept.map((r) =>
        auditRecord(ref, trigger, deps, {
          rule: r.rule.name,
          verdict: 'keep',
          action: 'none',
          outcome: 'done',
          detail: `changed before removal (${r.keptBecause ?? 'no longer a wildcard JIT rule'})`,
        }),
      ),
    );
  }
  const removals = [
    ...attempted.filter((r): r is Removal & { action: ActionTaken } => r.action !== 'kept'),
    ...(exempted as (Removal & { action: ActionTaken })[]),
  ];
  const failures = removals.flatMap((r) => (r.failure ? [r.failure] : []));
  const { policies, problem } =
    removals.length > 0
      ? await readJitPolicies(ref.subscriptionId, writtenAtOrNow(trigger, deps), deps)
      : { policies: [], problem: undefined };
  const findings = removals.map((r) => explain(r, policies, problem === undefined, trigger));
  await deps.audit.record(
    findings.map((f, i) =>
      f.action === 'kept-exempt'
        ? auditRecord(ref, trigger, deps, {
            rule: f.ruleName,
            verdict: 'keep',
            action: 'none',
            outcome: 'done',
            detail: `exempt until ${f.exemptUntil ?? '?'}: a wildcard JIT rule kept by the NSG tag ${EXEMPTION_TAG}`,
            requester: f.request?.requestor,
          })
        : auditRecord(ref, trigger, deps, {
            rule: f.ruleName,
            verdict: 'remove',
            action: f.action,
            outcome: f.action === 'failed' ? 'failed' : f.action === 'would-remove' ? 'reported' : 'done',
            detail: removals[i]?.carriedOver
              ? 'removed by an earlier attempt that did not finish; confirmed gone'
              : f.failure,
            requester: f.request?.requestor,
            writtenAt: f.writtenAt,
            deleteAcceptedAt: f.deleteAcceptedAt,
            removedAt: f.removedAt,
          }),
    ),
  );
  // A retryable failure is left out of the alert: the redelivery retries it and alerts then.
  const alertedRemovals = removals.filter((r) => !r.failure?.retryable);
  const alerted = findings.filter((_, i) => !removals[i]?.failure?.retryable);
  const permissionDenied = failures.find((f) => f.kind === 'permission-denied');
  let alertError: unknown;
  let stored: 'durable' | 'memory' = 'durable';
  if (alerted.length > 0) {
    // The time first: the name may take a moment, and "how long open" must not include it.
    const occurredAt = deps.now().toISOString();
    const alert: GuardAlert = {
      subscriptionId: ref.subscriptionId,
      subscriptionName: await deps.subscriptionNames(ref.subscriptionId, deps.log),
      resourceGroup: ref.resourceGroup,
      nsgName: nsg.name,
      nsgId: nsgResourceId(ref),
      writer: trigger.writer,
      eventId: trigger.eventId,
      correlationId: trigger.correlationId,
      occurredAt,
      mode: deps.mode,
      findings: alerted,
      requesterLookupProblem: problem,
      foundBy: trigger.source,
      permissionProblem: permissionDenied?.message,
    };
    stored = await deps.outbox.enqueue({
      key: alertKey(nsgId, alertedRemovals),
      eventId: trigger.eventId,
      message: toTeamsMessage(buildNsgAlertCard(alert, deps.portalUrl)),
    });
  }
  // Intents are done once their alert is durable (stored, or accepted by Teams); report mode
  // settles none of them: an intent recorded in enforce mode still awaits its alert.
  const done = [
    ...alertedRemovals.filter((r) => r.action !== 'would-remove').map((r) => findingKey(nsgId, r.rule)),
    ...kept.map((r) => findingKey(nsgId, r.rule)),
    ...superseded.map((i) => i.key),
  ];
  if (stored === 'durable') await deps.intents.settle(done);
  try {
    await sendUnsentAlerts(trigger.eventId, deps);
    if (stored !== 'durable') await deps.intents.settle(done);
  } catch (error) {
    alertError = error;
  }
  if (failures.length > 0) throw new RemediationFailedError(failures, { cause: alertError });
  if (alertError !== undefined) throw alertError;
  return { status: 'acted', findings };
}

/**
 * One alert per set of judged rule instances and what was done to them: a redelivery, a later event
 * or the sweep reporting the same removal finds the same key, and a re-created rule (a new etag) is
 * a new alert.
 */
function alertKey(nsgId: string, removals: readonly Removal[]): string {
  // `removed` and `already-removed` are one outcome seen by two looks (a redelivery racing the first
  // delivery, an event racing the sweep): one key, so one alert.
  const outcome = (action: Removal['action']) => (action === 'already-removed' ? 'removed' : action);
  // An exempt rule is alerted once per exemption end and rule content, not per etag: every write to
  // the NSG gives its rules new etags, and the exemption should not re-alert on each.
  const part = (r: Removal) =>
    r.action === 'kept-exempt'
      ? `${nsgId}|${r.rule.name.toLowerCase()}|${sourcePrefixesOf(r.rule).join(',')}|${destinationPortsOf(r.rule).join(',')}:kept-exempt@${r.exemptUntil ?? ''}`
      : `${findingKey(nsgId, r.rule)}:${outcome(r.action)}`;
  const parts = removals.map(part).sort();
  return `nsg:${createHash('sha256').update(parts.join(',')).digest('hex')}`;
}

interface Removal {
  /** The rule as judged from the NSG read (what intents and alerts are keyed by). */
  readonly rule: SecurityRuleDocument;
  readonly action: ActionTaken | 'kept';
  readonly failure: ArmCallError | undefined;
  /** For `kept`: why the rule, read again right before its DELETE, no longer had to go. */
  readonly keptBecause?: string;
  /** Removed by an earlier look whose intent was left open. */
  readonly carriedOver?: boolean;
  /** For `kept-exempt`: when the exemption ends. */
  readonly exemptUntil?: string | undefined;
  /** When ARM accepted the DELETE, and when it finished. */
  readonly acceptedAt?: string;
  readonly removedAt?: string;
}

/** How often a rule that changed under a DELETE (412) is read and judged again before giving up. */
const MAX_JUDGEMENTS = 3;

async function removeRules(
  ref: NsgRef,
  rules: readonly SecurityRuleDocument[],
  nsgTags: NsgDocument['tags'],
  deps: RemediationDeps,
): Promise<Removal[]> {
  const removals: Removal[] = [];
  // One at a time: the network RP handles operations on one NSG one at a time.
  for (const rule of rules) {
    if (deps.mode === 'report') {
      deps.log.warn(`report mode: would remove ${rule.name} from ${nsgResourceId(ref)}`);
      removals.push({ rule, action: 'would-remove', failure: undefined });
      continue;
    }
    try {
      removals.push(await removeAsJudged(ref, rule, nsgTags, deps));
    } catch (error) {
      if (!(error instanceof ArmCallError)) throw error;
      deps.log.error(error.message);
      removals.push({ rule, action: 'failed', failure: error });
    }
  }
  return removals;
}

/**
 * Removes a rule only as it was judged: read it alone right before the DELETE and judge it again,
 * then delete with its etag as If-Match, so a rule narrowed in between is kept. A 412 (it changed
 * after that read) starts over, a bounded number of times.
 */
async function removeAsJudged(
  ref: NsgRef,
  judged: SecurityRuleDocument,
  nsgTags: NsgDocument['tags'],
  deps: RemediationDeps,
): Promise<Removal> {
  const where = `${judged.name} from ${nsgResourceId(ref)}`;
  for (let judgement = 1; ; judgement++) {
    const current = await deps.nsgs.getRule(ref, judged.name);
    if (current === undefined) {
      deps.log.info(`already removed: ${where}`);
      return { rule: judged, action: 'already-removed', failure: undefined };
    }
    const verdict = judgeRuleNow(current, nsgTags, deps.now(), deps.exemptionMaxDays);
    if (verdict.verdict === 'keep') {
      deps.log.warn(`kept ${where}: it changed before removal (${verdict.reason})`);
      return { rule: judged, action: 'kept', failure: undefined, keptBecause: verdict.reason };
    }
    const etag = typeof current.etag === 'string' ? current.etag : undefined;
    let acceptedAt: string | undefined;
    const result = await deps.nsgs.deleteRule(ref, judged.name, etag, () => {
      acceptedAt = deps.now().toISOString();
    });
    if (result === 'deleted' || result === 'already-gone') {
      deps.log.info(`${result === 'deleted' ? 'removed' : 'already removed'}: ${where}`);
      return {
        rule: judged,
        action: result === 'deleted' ? 'removed' : 'already-removed',
        failure: undefined,
        ...(acceptedAt === undefined ? {} : { acceptedAt }),
        removedAt: deps.now().toISOString(),
      };
    }
    deps.log.warn(
      `${where} changed under the DELETE (412); reading it again (${judgement}/${MAX_JUDGEMENTS})`,
    );
    if (judgement >= MAX_JUDGEMENTS) {
      throw new ArmCallError(
        'delete security rule',
        `${nsgResourceId(ref)}/securityRules/${judged.name}`,
        'conflict',
        412,
        'PreconditionFailed',
        {
          cause: new Error(`the rule kept changing under the DELETE (${MAX_JUDGEMENTS} times)`),
        },
      );
    }
  }
}

async function readJitPolicies(
  subscriptionId: string,
  freshSince: Date,
  deps: RemediationDeps,
): Promise<{ policies: JitPolicyLike[]; problem: string | undefined }> {
  try {
    return { policies: await deps.jitPolicies.listPolicies(subscriptionId, freshSince), problem: undefined };
  } catch (error) {
    // Enrichment only: the removal already happened, and the alert still goes out without a name.
    const message = error instanceof Error ? error.message : String(error);
    deps.log.warn(`could not read JIT policies to name the requester: ${message}`);
    return { policies: [], problem: 'JIT policy could not be read' };
  }
}

function explain(
  removal: Removal & { action: ActionTaken },
  policies: readonly JitPolicyLike[],
  policiesRead: boolean,
  trigger: RemediationTrigger,
): RuleFinding {
  const { rule } = removal;
  const vmName = vmNameFromDescription(rule.properties?.description);
  const ports = destinationPortsOf(rule);
  const sources = sourcePrefixesOf(rule);
  const request =
    vmName === undefined
      ? undefined
      : findJitRequest(policies, { vmName, ports: singlePortsOf(ports), sources });
  const writtenAt = trigger.ruleWrittenAt ?? request?.startTimeUtc;
  const allowsAny =
    policiesRead && vmName !== undefined ? policyAllowsAnySource(policies, vmName, ports) : undefined;
  return {
    ...(writtenAt === undefined ? {} : { writtenAt }),
    ...(removal.acceptedAt === undefined ? {} : { deleteAcceptedAt: removal.acceptedAt }),
    ...(removal.removedAt === undefined ? {} : { removedAt: removal.removedAt }),
    ...(allowsAny === undefined ? {} : { policyAllowsAnySource: allowsAny }),
    ruleName: rule.name,
    vmName,
    ports,
    sources,
    action: removal.action,
    ...(removal.exemptUntil === undefined ? {} : { exemptUntil: removal.exemptUntil }),
    failure:
      removal.failure === undefined
        ? undefined
        : `${removal.failure.kind}${removal.failure.statusCode ? ` (HTTP ${removal.failure.statusCode})` : ''}`,
    request,
  };
}

/** The JIT request behind a rule is recorded before the rule: a list started after the write has it. */
function writtenAtOrNow(trigger: RemediationTrigger, deps: RemediationDeps): Date {
  const written = trigger.ruleWrittenAt === undefined ? Number.NaN : Date.parse(trigger.ruleWrittenAt);
  return Number.isNaN(written) ? deps.now() : new Date(written);
}

/** The root cause: does a JIT policy let anyone request this VM's port from any source? */
function policyAllowsAnySource(
  policies: readonly JitPolicyLike[],
  vmName: string,
  ports: readonly string[],
): boolean | undefined {
  const vm = vmName.toLowerCase();
  const configured = auditJitPolicies(policies).filter((f) => f.vmName.toLowerCase() === vm);
  const anyConfigured = policies.some((p) =>
    (p.virtualMachines ?? []).some((v) => v.id?.split('/').filter(Boolean).pop()?.toLowerCase() === vm),
  );
  if (!anyConfigured) return undefined;
  return configured.some((f) => ports.includes(String(f.port)));
}

export async function sendUnsentAlerts(eventId: string, deps: RemediationDeps): Promise<void> {
  const sent = await sendPendingAlerts(eventId, deps.outbox, deps.teams);
  if (sent > 0) deps.log.info(`${sent} alert(s) sent to Teams for event ${eventId}`);
}

function auditRecord(
  ref: NsgRef,
  trigger: RemediationTrigger,
  deps: RemediationDeps,
  decision: Pick<
    AuditRecord,
    'verdict' | 'action' | 'outcome' | 'writtenAt' | 'deleteAcceptedAt' | 'removedAt'
  > & {
    rule: string;
    detail?: string | undefined;
    requester?: string | undefined;
  },
): AuditRecord {
  return {
    at: deps.now().toISOString(),
    kind: 'nsg',
    eventId: trigger.eventId,
    correlationId: trigger.correlationId,
    resource: nsgResourceId(ref),
    rule: decision.rule,
    verdict: decision.verdict,
    action: decision.action,
    outcome: decision.outcome,
    detail: decision.detail,
    who: trigger.writer.display,
    requester: decision.requester,
    writtenAt: decision.writtenAt,
    deleteAcceptedAt: decision.deleteAcceptedAt,
    removedAt: decision.removedAt,
  };
}
