import type { TeamsSender } from '../adapters/teamsWebhook.js';
import type { TeamsMessage } from '../lib/alerts/adaptiveCard.js';

export interface OutboxEntry {
  readonly key: string;
  /** Groups alerts that are sent together: an event id, or a reconcile's bucket. */
  readonly eventId: string;
  readonly message: TeamsMessage;
}

/**
 * Alerts are written here before they are sent and marked sent after, so a redelivered event sends
 * what an earlier attempt could not, and never sends the same alert twice — not even when two
 * invocations look at the same entry at once (an entry being sent is claimed).
 */
export interface AlertOutbox {
  /** Adds an alert unless one with this key was already added (sent or not). */
  enqueue(entry: OutboxEntry): Promise<void>;
  /** Unsent, unclaimed alerts of this group, now claimed by the caller. */
  claimUnsent(eventId: string): Promise<OutboxEntry[]>;
  markSent(key: string): Promise<void>;
  /** Gives a claimed alert back (its send failed); the resend timer tries it after a growing wait. */
  release(key: string): Promise<void>;
  /** Every unsent alert that is due (and claims left by a crashed sender), now claimed: for the resend timer. */
  claimDue(now: Date): Promise<OutboxEntry[]>;
}

/**
 * Per-instance outbox: survives redeliveries that reach the same warm instance. Entries are kept
 * for a bounded number of alerts (oldest sent ones evicted first).
 */
export function createMemoryOutbox(capacity = 10_000): AlertOutbox {
  const entries = new Map<
    string,
    OutboxEntry & { state: 'unsent' | 'claimed' | 'sent'; retryAt: number; attempts: number }
  >();
  const evict = () => {
    for (const [key, entry] of entries) {
      if (entries.size <= capacity) return;
      if (entry.state === 'sent') entries.delete(key);
    }
  };
  const setState = (key: string, state: 'unsent' | 'sent') => {
    const entry = entries.get(key);
    if (entry !== undefined) entry.state = state;
  };
  return {
    async enqueue(entry) {
      if (entries.has(entry.key)) return;
      entries.set(entry.key, { ...entry, state: 'unsent', retryAt: 0, attempts: 0 });
      evict();
    },
    async claimUnsent(eventId) {
      const claimed = [...entries.values()].filter((e) => e.state === 'unsent' && e.eventId === eventId);
      for (const entry of claimed) entry.state = 'claimed';
      return claimed;
    },
    markSent: async (key) => setState(key, 'sent'),
    release: async (key) => {
      setState(key, 'unsent');
      const entry = entries.get(key);
      if (entry) {
        entry.attempts += 1;
        entry.retryAt = Date.now() + retryDelayMs(entry.attempts);
      }
    },
    async claimDue(now) {
      const due = [...entries.values()].filter((e) => e.state === 'unsent' && e.retryAt <= now.getTime());
      for (const entry of due) entry.state = 'claimed';
      return due;
    },
  };
}

/** Wait before the resend timer tries an alert again after `attempts` failures: 1, 2, 4 … 60 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60, 2 ** Math.max(0, attempts - 1)) * 60_000;
}

/**
 * The resend timer: every due alert is tried once; one that fails again waits longer (1, 2, 4 … 60
 * minutes), so a Teams outage of hours ends with every alert delivered, once.
 */
export async function resendDueAlerts(
  outbox: AlertOutbox,
  teams: TeamsSender,
  now: Date,
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  for (const entry of await outbox.claimDue(now)) {
    try {
      await teams.send(entry.message);
      await outbox.markSent(entry.key);
      sent += 1;
    } catch {
      await outbox.release(entry.key);
      failed += 1;
    }
  }
  return { sent, failed };
}

/** Sends every unsent alert of a group, oldest first; a failure gives it back and is rethrown. */
export async function sendPendingAlerts(
  eventId: string,
  outbox: AlertOutbox,
  teams: TeamsSender,
): Promise<number> {
  const claimed = await outbox.claimUnsent(eventId);
  for (const [index, entry] of claimed.entries()) {
    try {
      await teams.send(entry.message);
    } catch (error) {
      for (const unsent of claimed.slice(index)) await outbox.release(unsent.key);
      throw error;
    }
    await outbox.markSent(entry.key);
  }
  return claimed.length;
}
