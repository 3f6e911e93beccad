import { redactValue } from './redact.js';

/** One decision the guardrail took, as admins read it back. */
export interface AuditRecord {
  readonly at: string;
  readonly kind: 'nsg' | 'role';
  readonly eventId: string;
  readonly correlationId: string | undefined;
  /** The NSG or role definition id. */
  readonly resource: string;
  /** The rule, for NSG decisions; `*` when nothing in the NSG had to go. */
  readonly rule: string | undefined;
  readonly verdict: string;
  readonly action: string;
  readonly outcome: 'done' | 'failed' | 'reported';
  readonly detail: string | undefined;
  /** Who wrote the resource (from the event). */
  readonly who: string | undefined;
  /** Who asked for the JIT access, when known. */
  readonly requester: string | undefined;
  /** For a removal, its exposure window: when the rule was written, its DELETE accepted, and gone. */
  readonly writtenAt?: string | undefined;
  readonly deleteAcceptedAt?: string | undefined;
  readonly removedAt?: string | undefined;
}

/** Durable record of decisions; writes never throw (a failed write is kept and retried). */
export interface AuditTrail {
  record(records: readonly AuditRecord[]): Promise<void>;
  recent(limit: number): Promise<AuditRecord[]>;
}

export function createMemoryAuditTrail(capacity = 10_000): AuditTrail {
  const records: AuditRecord[] = [];
  return {
    async record(batch) {
      records.push(...batch.map(redactValue));
      if (records.length > capacity) records.splice(0, records.length - capacity);
    },
    async recent(limit) {
      return records.slice(-limit).reverse();
    },
  };
}
