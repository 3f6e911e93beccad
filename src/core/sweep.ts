import { randomUUID } from 'node:crypto';
import type { JitPolicyGateway } from '../adapters/jitPolicyGateway.js';
import { toTeamsMessage } from '../lib/alerts/adaptiveCard.js';
import { buildAuditDigestCard } from '../lib/alerts/auditDigestCard.js';
import { nsgResourceId, parseNsgResourceId, type NsgRef } from '../lib/events/nsgResourceId.js';
import type { NsgDocument } from '../lib/nsg/nsgDocument.js';
import type { Writer } from '../lib/events/writer.js';
import { auditJitPolicies, type PolicyFinding } from '../lib/jit/auditPolicies.js';
import type { JitPolicyLike } from '../lib/jit/findJitRequest.js';
import { createRateLimiter, mapWithConcurrency } from './concurrency.js';
import { remediateNsg, sendUnsentAlerts, type RemediationDeps } from './remediateNsg.js';
import { readOnceIntents } from './removalIntents.js';
import type { ResourceGraphGateway } from '../adapters/resourceGraphGateway.js';

/** ARM's write bucket refills 10 per second per principal; deletes are paced to stay inside it. */
export const DELETES_PER_SECOND = 10;
const DELETE_BURST = 10;

/**
 * How the sweep finds NSGs: one Resource Graph query for candidates across every subscription (then
 * a fresh ARM read of each), or listing every NSG of each subscription page by page.
 */
export type SweepStrategy = 'resource-graph' | 'listing';

/** The sweep's dependencies: remediation's, and Resource Graph when the tenant sweep may use it. */
export interface SweepDeps extends RemediationDeps {
  readonly resourceGraph?: ResourceGraphGateway;
}

export interface SweepOptions {
  readonly subscriptions: readonly string[];
  readonly reportOnly: boolean;
  /** Every subscription below this management group is swept too (found through Resource Graph). */
  readonly managementGroup?: string;
  /** Default: Resource Graph for several subscriptions when the deps have it; listing otherwise, and where it is refused. */
  readonly strategy?: SweepStrategy;
  /** NSGs remediated at once; reads are one per page and need no more. */
  readonly concurrency?: number;
  readonly onProgress?: (progress: SweepProgress) => void;
}

export interface SweepProgress {
  readonly subscriptionId: string;
  readonly nsgsScanned: number;
  readonly pages: number;
  readonly wildcardRules: number;
}

export interface SubscriptionSweep {
  readonly subscriptionId: string;
  readonly pages: number;
  readonly nsgsScanned: number;
  readonly wildcardRules: number;
  readonly removed: number;
  readonly alreadyRemoved: number;
  readonly wouldRemove: number;
  /** Wildcard JIT rules an exemption tag keeps (alerted, not removed). */
  readonly exempt: number;
  readonly failed: number;
  /**
   * The longest exposure among the rules this run removed: from the rule's JIT request to ARM
   * accepting its DELETE, and to the rule being gone (ms); undefined when it removed none.
   */
  readonly longestExposure: { readonly toDeleteAcceptedMs: number; readonly toRemovedMs: number } | undefined;
  readonly errors: readonly string[];
  readonly policyFindings: readonly PolicyFinding[];
}

export interface SweepSummary {
  readonly runId: string;
  readonly mode: 'enforce' | 'report';
  readonly strategy: SweepStrategy;
  /**
   * Why the sweep listed NSGs although Resource Graph was asked for: it was refused, or it did not show
   * some of the subscriptions (those were listed).
   */
  readonly fallback?: string;
  /** Why some subscriptions that should have been swept were not (the run counts as failed). */
  readonly incomplete?: string;
  readonly subscriptions: readonly SubscriptionSweep[];
  readonly durationMs: number;
}

export const SWEEP_WRITER: Writer = {
  kind: 'unknown',
  display: 'unknown (found by the sweep; no write event was handled)',
  appId: undefined,
  objectId: undefined,
};

/**
 * Catches what events missed: lists every NSG page by page (one read per page, never one per NSG),
 * decides with the same pure code, and removes and alerts through the same path as the event guard.
 * Deletes are paced inside ARM's write bucket. Also audits JIT policies for wildcard sources.
 * Never throws for one NSG: failures are counted and named in the summary.
 */
export async function sweep(options: SweepOptions, deps: SweepDeps): Promise<SweepSummary> {
  const started = Date.now();
  const runId = randomUUID();
  const limiter = createRateLimiter(DELETES_PER_SECOND, DELETE_BURST);
  const mode = options.reportOnly ? 'report' : deps.mode;
  const results: SubscriptionSweep[] = [];
  let fallback: string | undefined;
  const { subscriptions, problem: incomplete } = await subscriptionsToSweep(options, deps);
  if (incomplete !== undefined) deps.log.error(`sweep: ${incomplete}`);
  // One subscription is listed (no lag, a few pages); several are asked of Resource Graph at once.
  const wanted =
    options.strategy ??
    (deps.resourceGraph !== undefined && subscriptions.length > 1 ? 'resource-graph' : 'listing');
  let candidates: Map<string, NsgRef[]> | undefined;
  let unseen = new Set<string>();
  if (wanted === 'resource-graph') {
    try {
      if (deps.resourceGraph === undefined) throw new Error('no Resource Graph client configured');
      const visible = new Set(
        (await deps.resourceGraph.subscriptionsVisible(subscriptions)).map((s) => s.toLowerCase()),
      );
      const hidden = subscriptions.filter((s) => !visible.has(s.toLowerCase()));
      unseen = new Set(hidden.map((s) => s.toLowerCase()));
      // Listed instead: ARM then answers for them (their NSGs, or why they cannot be read).
      if (hidden.length > 0) {
        const named =
          hidden.slice(0, 5).join(', ') + (hidden.length > 5 ? ` and ${hidden.length - 5} more` : '');
        fallback = `Resource Graph shows no subscription ${named} (the guard cannot read it there, or it does not exist); listed instead`;
        deps.log.warn(`sweep: ${fallback}`);
      }
      if (hidden.length < subscriptions.length)
        candidates = await candidatesBySubscription(
          deps.resourceGraph,
          subscriptions.filter((s) => visible.has(s.toLowerCase())),
        );
    } catch (error) {
      fallback = `Resource Graph could not be used (${error instanceof Error ? error.message : String(error)}); NSGs were listed per subscription instead`;
      deps.log.warn(`sweep: ${fallback}`);
    }
  }
  for (const subscriptionId of subscriptions) {
    const policies = memoisePolicies(deps.jitPolicies);
    const paced: RemediationDeps = {
      ...deps,
      mode,
      jitPolicies: policies,
      intents: readOnceIntents(deps.intents),
      nsgs: {
        ...deps.nsgs,
        deleteRule: async (...args) => {
          await limiter.acquire();
          return deps.nsgs.deleteRule(...args);
        },
      },
    };
    const key = subscriptionId.toLowerCase();
    const found = candidates === undefined || unseen.has(key) ? undefined : (candidates.get(key) ?? []);
    results.push(await sweepSubscription(subscriptionId, runId, options, paced, found));
  }
  await sendPolicyDigest(results, runId, deps);
  return {
    runId,
    mode,
    strategy: candidates === undefined ? 'listing' : 'resource-graph',
    ...(fallback === undefined ? {} : { fallback }),
    ...(incomplete === undefined ? {} : { incomplete }),
    subscriptions: results,
    durationMs: Date.now() - started,
  };
}

/**
 * The subscriptions given, and with a management group every one below it: a subscription created
 * there since the deployment is swept without a redeploy. Where that cannot be found, the ones given.
 */
async function subscriptionsToSweep(
  options: SweepOptions,
  deps: SweepDeps,
): Promise<{ subscriptions: string[]; problem?: string }> {
  const given = [...options.subscriptions];
  if (options.managementGroup === undefined) return { subscriptions: given };
  try {
    if (deps.resourceGraph === undefined) throw new Error('no Resource Graph client configured');
    const below = await deps.resourceGraph.subscriptionsBelow(options.managementGroup);
    // None at all: a wrong id, or the role not yet assigned there: never a quiet success.
    if (below.length === 0) throw new Error('Resource Graph shows no subscription below it');
    const seen = new Set(given.map((s) => s.toLowerCase()));
    return { subscriptions: [...given, ...below.filter((s) => !seen.has(s.toLowerCase()))] };
  } catch (error) {
    return {
      subscriptions: given,
      problem: `the subscriptions below management group ${options.managementGroup} could not be listed (${error instanceof Error ? error.message : String(error)}); only GUARDRAIL_SWEEP_SUBSCRIPTIONS were swept`,
    };
  }
}

/** The UTC hour whose timer run lists every NSG, whatever the number of subscriptions. */
export const FULL_LISTING_HOUR_UTC = 4;

/**
 * The strategy for a timer run: Resource Graph's lag has no documented bound, so once a day (the run
 * in FULL_LISTING_HOUR_UTC, with the default hourly schedule) every NSG is listed instead; otherwise
 * the default choice.
 */
export function timerRunStrategy(now: Date): SweepStrategy | undefined {
  return now.getUTCHours() === FULL_LISTING_HOUR_UTC ? 'listing' : undefined;
}

/** Resource Graph's candidates, by lower-cased subscription id; ids it cannot parse are skipped. */
async function candidatesBySubscription(
  graph: ResourceGraphGateway,
  subscriptions: readonly string[],
): Promise<Map<string, NsgRef[]>> {
  const bySubscription = new Map<string, NsgRef[]>();
  for await (const page of graph.candidateNsgPages(subscriptions)) {
    for (const id of page) {
      const ref = parseNsgResourceId(id);
      if (ref === undefined) continue;
      const key = ref.subscriptionId.toLowerCase();
      bySubscription.set(key, [...(bySubscription.get(key) ?? []), ref]);
    }
  }
  return bySubscription;
}

async function sweepSubscription(
  subscriptionId: string,
  runId: string,
  options: SweepOptions,
  deps: RemediationDeps,
  candidates: readonly NsgRef[] | undefined,
): Promise<SubscriptionSweep> {
  const tally = {
    pages: 0,
    nsgsScanned: 0,
    wildcardRules: 0,
    removed: 0,
    alreadyRemoved: 0,
    wouldRemove: 0,
    exempt: 0,
    failed: 0,
    longestExposure: undefined as SubscriptionSweep['longestExposure'],
  };
  const errors: string[] = [];
  const seen = new Set<string>();
  /** One NSG through the shared remediation path; failures are counted and named, never thrown. */
  const look = async (ref: NsgRef, nsg: NsgDocument) => {
    try {
      const outcome = await remediateNsg(
        ref,
        nsg,
        {
          eventId: `sweep:${runId}:${nsgResourceId(ref).toLowerCase()}`,
          correlationId: runId,
          writer: SWEEP_WRITER,
          source: 'sweep',
        },
        deps,
      );
      if (outcome.status !== 'acted') return;
      for (const finding of outcome.findings) {
        tally.wildcardRules += 1;
        if (finding.action === 'removed') tally.removed += 1;
        else if (finding.action === 'already-removed') tally.alreadyRemoved += 1;
        else if (finding.action === 'would-remove') tally.wouldRemove += 1;
        else if (finding.action === 'kept-exempt') tally.exempt += 1;
        else tally.failed += 1;
        const written = finding.writtenAt === undefined ? NaN : Date.parse(finding.writtenAt);
        const accepted = Date.parse(finding.deleteAcceptedAt ?? '') - written;
        const removed = Date.parse(finding.removedAt ?? '') - written;
        if (Number.isFinite(accepted) && Number.isFinite(removed)) {
          const longest = tally.longestExposure;
          tally.longestExposure = {
            toDeleteAcceptedMs: Math.max(longest?.toDeleteAcceptedMs ?? 0, accepted),
            toRemovedMs: Math.max(longest?.toRemovedMs ?? 0, removed),
          };
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      deps.log.error(`sweep: ${message}`);
      errors.push(message);
      tally.failed += 1;
    }
  };
  try {
    const pages = candidates === undefined ? deps.nsgs.listNsgPages(subscriptionId) : undefined;
    if (candidates !== undefined) {
      // Resource Graph lags ARM: each candidate is read again, and the fresh read is what is judged.
      tally.pages = 1;
      await mapWithConcurrency(candidates, options.concurrency ?? 4, async (ref) => {
        let nsg: NsgDocument | undefined;
        try {
          nsg = await deps.nsgs.getNsg(ref);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          deps.log.error(`sweep: ${message}`);
          errors.push(message);
          tally.failed += 1;
          return;
        }
        tally.nsgsScanned += 1;
        // Gone since the index saw it: an open intent for it is settled below, as with listing.
        if (nsg === undefined) return;
        seen.add(nsgResourceId(ref).toLowerCase());
        await look(ref, nsg);
      });
      options.onProgress?.({
        subscriptionId,
        nsgsScanned: tally.nsgsScanned,
        pages: tally.pages,
        wildcardRules: tally.wildcardRules,
      });
    }
    for await (const page of pages ?? []) {
      tally.pages += 1;
      await mapWithConcurrency(page, options.concurrency ?? 4, async (nsg) => {
        const ref = nsg.id === undefined ? undefined : parseNsgResourceId(nsg.id);
        if (ref === undefined) {
          errors.push(`NSG ${nsg.name}: no usable resource id`);
          return;
        }
        seen.add(nsgResourceId(ref).toLowerCase());
        await look(ref, nsg);
      });
      tally.nsgsScanned += page.length;
      options.onProgress?.({
        subscriptionId,
        nsgsScanned: tally.nsgsScanned,
        pages: tally.pages,
        wildcardRules: tally.wildcardRules,
      });
    }
    // An open intent whose NSG this sweep did not look at was started by a look that did not finish.
    // A complete listing means its NSG is gone; Resource Graph's candidates are only a hint (it lags,
    // and an intent's rule may be newer than its index), so there the NSG is read first.
    const prefix = `/subscriptions/${subscriptionId.toLowerCase()}/`;
    for (const intent of await deps.intents.openAll()) {
      const ref = parseNsgResourceId(intent.nsgId);
      if (!intent.nsgId.startsWith(prefix) || seen.has(intent.nsgId) || ref === undefined) continue;
      seen.add(intent.nsgId);
      const gone = { name: ref.nsgName, properties: { securityRules: [] } };
      await look(ref, candidates === undefined ? gone : ((await deps.nsgs.getNsg(ref)) ?? gone));
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.log.error(`sweep of ${subscriptionId} stopped: ${message}`);
    errors.push(message);
  }
  const policyFindings = await auditSubscription(subscriptionId, deps, errors);
  return { subscriptionId, ...tally, errors, policyFindings };
}

async function auditSubscription(
  subscriptionId: string,
  deps: RemediationDeps,
  errors: string[],
): Promise<PolicyFinding[]> {
  try {
    return auditJitPolicies(await deps.jitPolicies.listPolicies(subscriptionId));
  } catch (error) {
    errors.push(`JIT policy audit: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

/**
 * One digest for the whole sweep, grouped by subscription. Its outbox key is the findings, not the
 * run, so an unchanged set is digested once, not every hour. A digest that could not be sent is an
 * error of each subscription it names.
 */
async function sendPolicyDigest(
  results: SubscriptionSweep[],
  runId: string,
  deps: RemediationDeps,
): Promise<void> {
  const withFindings = results.filter((r) => r.policyFindings.length > 0);
  if (withFindings.length === 0) return;
  const groups = [];
  for (const r of withFindings) {
    const name = await deps.subscriptionNames(r.subscriptionId, deps.log);
    groups.push({ subscriptionId: r.subscriptionId, subscriptionName: name, findings: r.policyFindings });
  }
  const key = `audit:${JSON.stringify(
    groups.map((g) => [
      g.subscriptionId.toLowerCase(),
      g.findings.map((f) => [f.vmId.toLowerCase(), f.port, f.allowedSources]),
    ]),
  )}`;
  const eventId = `audit:${runId}`;
  const card = buildAuditDigestCard(groups, deps.portalUrl, deps.now().toISOString());
  try {
    await deps.outbox.enqueue({ key, eventId, message: toTeamsMessage(card) });
    await sendUnsentAlerts(eventId, deps);
  } catch (error) {
    const message = `JIT policy digest: ${error instanceof Error ? error.message : String(error)}`;
    for (const r of withFindings) (r.errors as string[]).push(message);
  }
}

/** One JIT policy list per subscription per sweep, shared by every NSG that needs a requester. */
function memoisePolicies(gateway: JitPolicyGateway): JitPolicyGateway {
  const cache = new Map<string, Promise<JitPolicyLike[]>>();
  return {
    listPolicies(subscriptionId) {
      let policies = cache.get(subscriptionId);
      if (policies === undefined) {
        policies = gateway.listPolicies(subscriptionId);
        cache.set(subscriptionId, policies);
        policies.catch(() => cache.delete(subscriptionId));
      }
      return policies;
    },
  };
}

/** 0 nothing left open; 3 wildcard rules or wildcard JIT policies remain (action needed); 1 something failed. */
export function sweepExitCode(summary: SweepSummary): 0 | 1 | 3 {
  if (summary.incomplete !== undefined) return 1;
  if (summary.subscriptions.some((s) => s.failed > 0 || s.errors.length > 0)) return 1;
  if (summary.subscriptions.some((s) => s.wouldRemove > 0 || s.policyFindings.length > 0)) return 3;
  return 0;
}
