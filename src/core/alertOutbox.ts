import type { TeamsMessage } from '../lib/alerts/adaptiveCard.js';

export interface OutboxEntry {
  readonly key: string;
  readonly eventId: string;
  readonly message: TeamsMessage;
}

/**
 * Alerts are written here before they are sent and marked sent after, so a redelivered event sends
 * what an earlier attempt could not, and never sends the same alert twice.
 */
export interface AlertOutbox {
  /** Adds an alert unless one with this key was already added (sent or not). */
  enqueue(entry: OutboxEntry): Promise<void>;
  unsentFor(eventId: string): Promise<OutboxEntry[]>;
  markSent(key: string): Promise<void>;
}

/**
 * Per-instance outbox: survives redeliveries that reach the same warm instance. Entries are kept
 * for a bounded number of alerts (oldest sent ones evicted first).
 */
export function createMemoryOutbox(capacity = 10_000): AlertOutbox {
  const entries = new Map<string, OutboxEntry & { sent: boolean }>();
  const evict = () => {
    for (const [key, entry] of entries) {
      if (entries.size <= capacity) return;
      if (entry.sent) entries.delete(key);
    }
  };
  return {
    async enqueue(entry) {
      if (entries.has(entry.key)) return;
      entries.set(entry.key, { ...entry, sent: false });
      evict();
    },
    async unsentFor(eventId) {
      return [...entries.values()].filter((e) => !e.sent && e.eventId === eventId);
    },
    async markSent(key) {
      const entry = entries.get(key);
      if (entry !== undefined) entry.sent = true;
    },
  };
}
