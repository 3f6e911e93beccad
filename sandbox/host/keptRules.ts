import { parseNsgResourceId, nsgResourceId } from '../../src/lib/events/nsgResourceId.js';
import { evaluateNsg } from '../../src/lib/nsg/evaluateNsg.js';
import {
  sourcePrefixesOf,
  type NsgDocument,
  type SecurityRuleDocument,
} from '../../src/lib/nsg/nsgDocument.js';

/** Where the reporter reads NSGs as they are now, and what it calls each one. */
export interface KeptRuleSources {
  readonly getNsg: (id: string) => NsgDocument | undefined;
  /** The VM behind an NSG, for the line; the NSG's own name when unknown. */
  readonly vmNameOf: (nsgId: string) => string | undefined;
}

/**
 * Says, once per rule, that the guard kept a JIT rule because its source is specific: the guard itself
 * is silent about a request it lets stand, and a newcomer would otherwise see nothing happen.
 */
export class KeptRuleReporter {
  /** Per NSG (lower-cased id): the kept rules already told, as name|sources|ports. */
  private readonly told = new Map<string, Set<string>>();

  constructor(private readonly sources: KeptRuleSources) {}

  /** After the guard handled an event: the lines for rules it newly kept in that event's NSG. */
  linesAfterGuard(event: unknown): string[] {
    const nsgId = nsgIdOfEvent(event);
    const nsg = nsgId === undefined ? undefined : this.sources.getNsg(nsgId);
    if (nsgId === undefined || nsg === undefined) return [];
    const kept = keptForSpecificSource(nsg);
    const key = nsgId.toLowerCase();
    const before = this.told.get(key) ?? new Set<string>();
    this.told.set(key, new Set(kept.map(ruleKey)));
    const where = this.sources.vmNameOf(nsgId) ?? nsg.name;
    return kept.filter((rule) => !before.has(ruleKey(rule))).map((rule) => keptLine(where, rule));
  }
}

function nsgIdOfEvent(event: unknown): string | undefined {
  const e = event as { subject?: unknown; data?: { resourceUri?: unknown } } | null;
  const uri = e?.data?.resourceUri ?? e?.subject;
  if (typeof uri !== 'string') return undefined;
  const ref = parseNsgResourceId(uri);
  return ref === undefined ? undefined : nsgResourceId(ref);
}

function keptForSpecificSource(nsg: NsgDocument): SecurityRuleDocument[] {
  const names = new Set(
    evaluateNsg(nsg, new Date())
      .rules.filter((r) => r.verdict === 'keep' && r.reason === 'specific-source')
      .map((r) => r.name),
  );
  return nsg.properties.securityRules.filter((rule) => names.has(rule.name));
}

function portsOf(rule: SecurityRuleDocument): string {
  const p = rule.properties;
  return (p?.destinationPortRanges?.length ? p.destinationPortRanges : [p?.destinationPortRange ?? '*']).join(
    ',',
  );
}

function ruleKey(rule: SecurityRuleDocument): string {
  return `${rule.name}|${sourcePrefixesOf(rule).join(',')}|${portsOf(rule)}`;
}

function keptLine(where: string, rule: SecurityRuleDocument): string {
  const from = sourcePrefixesOf(rule).join(', ');
  return `✔ JIT request kept: ${where} port ${portsOf(rule)} from ${from} — a specific source, not the internet, so the guardrail leaves it for JIT to close (no alert)`;
}
