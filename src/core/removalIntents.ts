import { createHash } from 'node:crypto';
import type { SecurityRuleDocument } from '../lib/nsg/nsgDocument.js';

/**
 * What the guardrail is about to remove, written before the first DELETE: an invocation that dies
 * after ARM accepted the DELETE (or whose answer was lost) leaves it open, and the next look at the
 * NSG — a redelivery or the sweep — finds the rule gone and still alerts, once.
 */
export interface RemovalIntent {
  /** One rule as it was judged: the NSG, the rule's name and its etag (a re-created rule is a new intent). */
  readonly key: string;
  /** The NSG's resource id, lower case. */
  readonly nsgId: string;
  /** The rule as judged, trimmed to what an alert needs. */
  readonly rule: SecurityRuleDocument;
  readonly eventId: string;
  readonly recordedAt: string;
}

export interface RemovalIntents {
  /** Records intents durably before their DELETEs are sent (idempotent by key). */
  record(intents: readonly RemovalIntent[]): Promise<void>;
  /** Intents of this NSG not yet settled by an alert. */
  openFor(nsgId: string): Promise<RemovalIntent[]>;
  /** Every open intent (few: each lives from a DELETE until its alert is queued), for the sweep. */
  openAll(): Promise<RemovalIntent[]>;
  /** The alert for these is in the outbox (or the rule was kept): they are done. */
  settle(keys: readonly string[]): Promise<void>;
}

/** The key of one judged rule instance: NSG, name and etag (ARM gives every change a new etag). */
export function findingKey(
  nsgId: string,
  rule: Pick<SecurityRuleDocument, 'name'> & { etag?: unknown },
): string {
  const etag = typeof rule.etag === 'string' ? rule.etag : '';
  return createHash('sha256')
    .update(`${nsgId.toLowerCase()}|${rule.name.toLowerCase()}|${etag}`)
    .digest('hex');
}

const MAX_LISTED = 50;

/** The rule without what no alert shows, so an intent stays small (a table property holds 32 K characters). */
export function trimRule(rule: SecurityRuleDocument): SecurityRuleDocument {
  const p = rule.properties ?? {};
  return {
    name: rule.name,
    ...(rule.id !== undefined ? { id: rule.id } : {}),
    ...(typeof rule.etag === 'string' ? { etag: rule.etag } : {}),
    properties: {
      description: p.description?.slice(0, 512),
      sourceAddressPrefix: p.sourceAddressPrefix,
      sourceAddressPrefixes: p.sourceAddressPrefixes?.slice(0, MAX_LISTED),
      destinationPortRange: p.destinationPortRange,
      destinationPortRanges: p.destinationPortRanges?.slice(0, MAX_LISTED),
      access: p.access,
      direction: p.direction,
    },
  };
}

/** Per-instance intents: enough for redeliveries that reach the same warm instance. */
export function createMemoryRemovalIntents(capacity = 10_000): RemovalIntents {
  const open = new Map<string, RemovalIntent>();
  return {
    async record(intents) {
      for (const intent of intents) if (!open.has(intent.key)) open.set(intent.key, intent);
      while (open.size > capacity) open.delete(open.keys().next().value as string);
    },
    async openFor(nsgId) {
      return [...open.values()].filter((i) => i.nsgId === nsgId.toLowerCase());
    },
    async openAll() {
      return [...open.values()];
    },
    async settle(keys) {
      for (const key of keys) open.delete(key);
    },
  };
}

/**
 * For the sweep: every open intent read once, then answered from memory, so thousands of NSGs cost
 * one table query instead of one each. Records and settlements go through and keep the copy current.
 */
export function readOnceIntents(intents: RemovalIntents): RemovalIntents {
  let all: Promise<Map<string, RemovalIntent>> | undefined;
  const load = () => {
    all ??= intents.openAll().then((list) => new Map(list.map((i) => [i.key, i])));
    all.catch(() => (all = undefined));
    return all;
  };
  return {
    async record(list) {
      await intents.record(list);
      const map = await load();
      for (const intent of list) map.set(intent.key, intent);
    },
    async openFor(nsgId) {
      return [...(await load()).values()].filter((i) => i.nsgId === nsgId.toLowerCase());
    },
    async openAll() {
      return [...(await load()).values()];
    },
    async settle(keys) {
      await intents.settle(keys);
      const map = await load();
      for (const key of keys) map.delete(key);
    },
  };
}
