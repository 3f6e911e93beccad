import { isWildcardSource } from '../nsg/sourceWildcard.js';
import type { JitPolicyForAudit } from './auditPolicies.js';
import { allowedSourcesOf, type JitPortLike, type JitVmLike } from './jitPort.js';

/** The parts of a JIT policy (`@azure/arm-security` model or raw ARM JSON) that name a requester. */
export interface JitPolicyLike extends JitPolicyForAudit {
  readonly requests?: readonly JitRequestLike[];
}

export interface JitRequestLike {
  readonly requestor?: string;
  readonly justification?: string;
  readonly startTimeUtc?: Date | string;
  readonly virtualMachines?: readonly JitVmLike<JitPortLike & { readonly endTimeUtc?: Date | string }>[];
}

export interface JitRequestMatch {
  readonly requestor: string | undefined;
  readonly justification: string | undefined;
  readonly startTimeUtc: string | undefined;
  readonly endTimeUtc: string | undefined;
}

export interface RuleToExplain {
  readonly vmName: string;
  readonly ports: readonly number[];
  readonly sources: readonly string[];
}

/**
 * Finds the JIT request that most likely produced a rule: same VM, a requested port the rule opens,
 * and the same source (any wildcard matches any wildcard). The latest such request wins.
 */
export function findJitRequest(
  policies: readonly JitPolicyLike[],
  rule: RuleToExplain,
): JitRequestMatch | undefined {
  let best: { match: JitRequestMatch; start: number } | undefined;
  const vm = rule.vmName.toLowerCase();
  for (const policy of policies) {
    for (const request of policy.requests ?? []) {
      for (const requestedVm of request.virtualMachines ?? []) {
        if (lastSegment(requestedVm.id) !== vm) continue;
        for (const port of requestedVm.ports ?? []) {
          if (port.number === undefined || !rule.ports.includes(port.number)) continue;
          const requestedSources = allowedSourcesOf(port);
          if (!sourcesOverlap(requestedSources, rule.sources)) continue;
          const start = toTime(request.startTimeUtc);
          if (best !== undefined && start <= best.start) continue;
          best = {
            start,
            match: {
              // Real policies have carried `"requestor": ""`: that is no name.
              requestor: request.requestor?.trim() || undefined,
              justification: request.justification?.trim() || undefined,
              startTimeUtc: toIso(request.startTimeUtc),
              endTimeUtc: toIso(port.endTimeUtc),
            },
          };
        }
      }
    }
  }
  return best?.match;
}

function lastSegment(id: string | undefined): string | undefined {
  return id?.split('/').filter(Boolean).pop()?.toLowerCase();
}

function sourcesOverlap(requested: readonly string[], ruleSources: readonly string[]): boolean {
  const normalise = (s: string) => s.trim().toLowerCase();
  const ruleSet = new Set(ruleSources.map(normalise));
  const ruleHasWildcard = ruleSources.some(isWildcardSource);
  return requested.some((s) => ruleSet.has(normalise(s)) || (ruleHasWildcard && isWildcardSource(s)));
}

function toTime(value: Date | string | undefined): number {
  if (value === undefined) return Number.NEGATIVE_INFINITY;
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
}

function toIso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return value;
}

/** Port numbers a destination port range list covers, when they are single ports (`22`, `3389`). */
export function singlePortsOf(ranges: readonly string[]): number[] {
  const ports: number[] = [];
  for (const range of ranges) {
    const trimmed = range.trim();
    if (/^\d{1,5}$/.test(trimmed)) ports.push(Number(trimmed));
    const span = /^(\d{1,5})-(\d{1,5})$/.exec(trimmed);
    if (span) {
      const [from, to] = [Number(span[1]), Number(span[2])];
      // JIT rules open single ports; a short span is expanded, a long one is not worth matching.
      if (to >= from && to - from < 16) for (let p = from; p <= to; p++) ports.push(p);
    }
  }
  return ports;
}
