import type { Writer } from '../events/writer.js';
import type { JitRequestMatch } from '../jit/findJitRequest.js';
import type { GuardrailMode } from '../../config/settings.js';

/** What the guardrail did about one rule. */
export type ActionTaken = 'removed' | 'already-removed' | 'would-remove' | 'failed' | 'kept-exempt';

export interface RuleFinding {
  readonly ruleName: string;
  readonly vmName: string | undefined;
  readonly ports: readonly string[];
  readonly sources: readonly string[];
  readonly action: ActionTaken;
  /** Why the removal failed, for `failed`. */
  readonly failure: string | undefined;
  /** For `kept-exempt`: when the NSG's exemption tag ends, ISO 8601 UTC. */
  readonly exemptUntil?: string;
  /** When the rule was written (its event's time, or the JIT request's start for the sweep). */
  readonly writtenAt?: string;
  /** When ARM accepted its DELETE, and when the removal finished. */
  readonly deleteAcceptedAt?: string;
  readonly removedAt?: string;
  /** Whether the JIT policy for this VM and port allows any source: the root cause; unknown if unread. */
  readonly policyAllowsAnySource?: boolean;
  readonly request: JitRequestMatch | undefined;
}

/** Everything an alert about wildcard JIT rules on one NSG says. */
export interface GuardAlert {
  readonly subscriptionId: string;
  /** The subscription's display name, when ARM gave it. */
  readonly subscriptionName?: string;
  readonly resourceGroup: string;
  readonly nsgName: string;
  readonly nsgId: string;
  readonly writer: Writer;
  readonly eventId: string;
  readonly correlationId: string | undefined;
  /** When the guardrail acted, ISO 8601 UTC. */
  readonly occurredAt: string;
  readonly mode: GuardrailMode;
  readonly findings: readonly RuleFinding[];
  /** Set when the JIT policy could not be read, so the requester is unknown. */
  readonly requesterLookupProblem: string | undefined;
  /** How the guardrail found the rules: a write event (real time) or the sweep (the event was missed). */
  readonly foundBy?: 'event' | 'sweep';
  /** Set when ARM refused the guardrail (403): ops must grant it the missing permission. */
  readonly permissionProblem: string | undefined;
}

export const ACTION_LABEL: Record<ActionTaken, string> = {
  removed: 'removed',
  'already-removed': 'already removed',
  'would-remove': 'would remove (report mode)',
  failed: 'FAILED to remove',
  'kept-exempt': 'kept: the NSG is exempt',
};
