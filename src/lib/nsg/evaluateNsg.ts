import { DEFAULT_EXEMPTION_MAX_DAYS, readExemption, type Exemption } from './exemption.js';
import { isJitRuleName } from './jitRuleName.js';
import { sourcePrefixesOf, type NsgDocument, type SecurityRuleDocument } from './nsgDocument.js';
import { isWildcardSourceSet } from './sourceWildcard.js';

export type Verdict = 'remove' | 'keep';

/** Why a rule got its verdict; a fixed set so alerts, logs and tests can rely on it. */
export type VerdictReason =
  'wildcard-source' | 'exempt' | 'not-jit' | 'outbound' | 'deny' | 'specific-source' | 'incomplete-rule';

export interface RuleVerdict {
  readonly name: string;
  readonly verdict: Verdict;
  readonly reason: VerdictReason;
}

export interface NsgEvaluation {
  readonly nsg: string;
  readonly rules: readonly RuleVerdict[];
  readonly exemption: Exemption;
}

/**
 * Decides, rule by rule and in input order, which rules of an NSG must go: a JIT rule (either name
 * generation) that is inbound, allows, and has a wildcard among its sources — unless the NSG carries
 * an exemption tag in force and at most `exemptionMaxDays` ahead. `defaultSecurityRules` are never
 * looked at.
 */
export function evaluateNsg(
  nsg: NsgDocument,
  now: Date,
  exemptionMaxDays = DEFAULT_EXEMPTION_MAX_DAYS,
): NsgEvaluation {
  const exemption = readExemption(nsg.tags, now, exemptionMaxDays);
  const rules = nsg.properties.securityRules.map((rule) => judgeRule(rule, exemption));
  return { nsg: nsg.name, rules, exemption };
}

function judgeRule(rule: SecurityRuleDocument, exemption: Exemption): RuleVerdict {
  const keep = (reason: VerdictReason): RuleVerdict => ({ name: rule.name, verdict: 'keep', reason });
  if (!isJitRuleName(rule.name)) return keep('not-jit');
  const direction = rule.properties?.direction?.toLowerCase();
  const access = rule.properties?.access?.toLowerCase();
  if (direction === undefined || access === undefined) return keep('incomplete-rule');
  if (direction !== 'inbound') return keep('outbound');
  if (access !== 'allow') return keep('deny');
  if (!isWildcardSourceSet(sourcePrefixesOf(rule))) return keep('specific-source');
  if (exemption.status === 'active') return keep('exempt');
  return { name: rule.name, verdict: 'remove', reason: 'wildcard-source' };
}

/** The verdict on one rule as read now, under the NSG's exemption tags: for a re-check right before a DELETE. */
export function judgeRuleNow(
  rule: SecurityRuleDocument,
  nsgTags: NsgDocument['tags'],
  now: Date,
  exemptionMaxDays = DEFAULT_EXEMPTION_MAX_DAYS,
): RuleVerdict {
  return judgeRule(rule, readExemption(nsgTags, now, exemptionMaxDays));
}
