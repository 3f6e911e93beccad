import type { TeamsSender } from '../adapters/teamsWebhook.js';
import type { TeamsMessage } from '../lib/alerts/adaptiveCard.js';

export interface OutboxEntry {
  readonly key: string;
  /** Groups alerts that are sent together: an event id, or a reconcile's bucket. */
  readonly eventId: string;
  readonly message: TeamsMessage;
}

/** An entry a sender holds. `claim` fences every later change: once another sender took it over, it no longer counts. */
export interface ClaimedEntry extends OutboxEntry {
  readonly claim: string;
}

/**
 * Alerts are written here before they are sent and marked sent after, so a redelivered event sends
 * what an earlier attempt could not, and never sends the same alert twice — not even when two
 * invocations look at the same entry at once (an entry being sent is claimed, and only its current
 * claim may mark it sent or give it back).
 */
export interface AlertOutbox {
  /**
   * Adds an alert unless one with this key was already added (sent or not). `durable`: it is in
   * storage that outlives this instance; `memory`: only this instance holds it (no storage, or
   * storage unreachable or refusing it).
   */
  enqueue(entry: OutboxEntry): Promise<'durable' | 'memory'>;
  /** Unsent, unclaimed alerts of this group, now claimed by the caller. */
  claimUnsent(eventId: string): Promise<ClaimedEntry[]>;
  /** Marks a claimed alert sent; a claim another sender has taken over changes nothing. */
  markSent(entry: ClaimedEntry): Promise<void>;
  /** Gives a claimed alert back (its send failed); the resend timer tries it after a growing wait. */
  release(entry: ClaimedEntry): Promise<void>;
  /** Every unsent alert that is due (and claims left by a crashed sender), now claimed: for the resend timer. */
  claimDue(now: Date): Promise<ClaimedEntry[]>;
}

/**
 * Per-instance outbox: survives redeliveries that reach the same warm instance. Entries are kept
 * for a bounded number of alerts (oldest sent ones evicted first).
 */
export function createMemoryOutbox(capacity = 10_000): AlertOutbox {
  type Held = OutboxEntry & {
    state: 'unsent' | 'claimed' | 'sent';
    retryAt: number;
    attempts: number;
    claim: string;
  };
  const entries = new Map<string, Held>();
  let claims = 0;
  const evict = () => {
    for (const [key, entry] of entries) {
      if (entries.size <= capacity) return;
      if (entry.state === 'sent') entries.delete(key);
    }
  };
  const claimAll = (held: Held[]): ClaimedEntry[] =>
    held.map((entry) => {
      entry.state = 'claimed';
      entry.claim = String(++claims);
      return { key: entry.key, eventId: entry.eventId, message: entry.message, claim: entry.claim };
    });
  /** The entry, if this claim still holds it. */
  const held = (claimed: ClaimedEntry) => {
    const entry = entries.get(claimed.key);
    return entry?.state === 'claimed' && entry.claim === claimed.claim ? entry : undefined;
  };
  return {
    async enqueue(entry) {
      if (!entries.has(entry.key)) {
        entries.set(entry.key, { ...entry, state: 'unsent', retryAt: 0, attempts: 0, claim: '' });
        evict();
      }
      return 'memory';
    },
    async claimUnsent(eventId) {
      return claimAll([...entries.values()].filter((e) => e.state === 'unsent' && e.eventId === eventId));
    },
    async markSent(claimed) {
      const entry = held(claimed);
      if (entry) entry.state = 'sent';
    },
    async release(claimed) {
      const entry = held(claimed);
      if (!entry) return;
      entry.state = 'unsent';
      entry.attempts += 1;
      entry.retryAt = Date.now() + retryDelayMs(entry.attempts);
    },
    async claimDue(now) {
      return claimAll(
        [...entries.values()].filter((e) => e.state === 'unsent' && e.retryAt <= now.getTime()),
      );
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
  const due = await outbox.claimDue(now);
  for (const [index, entry] of due.entries()) {
    try {
      await teams.send(entry.message);
    } catch {
      // Teams is still refusing: give this one and the rest back now rather than hold their claims
      // through one slow failure after another (a claim outliving its lease would be taken over).
      for (const unsent of due.slice(index)) await outbox.release(unsent).catch(() => undefined);
      failed += due.length - index;
      break;
    }
    await outbox.markSent(entry);
    sent += 1;
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
      for (const unsent of claimed.slice(index)) {
        // A release that fails leaves a claim the resend timer takes over later; Teams' error is the news.
        await outbox.release(unsent).catch(() => undefined);
      }
      throw error;
    }
    await outbox.markSent(entry);
  }
  return claimed.length;
}
