import type { SubscriptionGateway } from '../adapters/subscriptionGateway.js';
import type { Logger } from './logger.js';

/** How long a display name is trusted: names are renamed rarely, and a stale one only reads oddly. */
export const NAME_TTL_MS = 60 * 60 * 1000;
/** How long a failed read is remembered: a role without the read fails every time, and says so once. */
export const FAILED_NAME_TTL_MS = 10 * 60 * 1000;
/** How long an alert waits for a name (a read still running goes on and serves the next alert). */
export const NAME_WAIT_MS = 3_000;

/** A subscription's display name for a card, or undefined when it cannot be had (the card shows the id). */
export type SubscriptionNames = (subscriptionId: string, log: Logger) => Promise<string | undefined>;

interface Entry {
  readonly readAt: number;
  /** Settles with the name, or with undefined once the read failed (logged then). */
  readonly name: Promise<string | undefined>;
  settled?: string | undefined | null;
}

/**
 * Display names read once an hour per subscription and instance. A name is worth less than an
 * alert held back: an alert waits at most `waitMs` for one; a failed read is logged once, kept for
 * ten minutes, and the card then shows the last name known or the subscription id alone.
 */
export function cacheSubscriptionNames(
  gateway: SubscriptionGateway,
  now: () => Date,
  waitMs = NAME_WAIT_MS,
): SubscriptionNames {
  const entries = new Map<string, Entry>();
  const lastKnown = new Map<string, string>();
  const read = (subscriptionId: string, key: string, log: Logger): Entry => {
    const entry: Entry = {
      readAt: now().getTime(),
      name: gateway.displayName(subscriptionId).then(
        (name) => {
          lastKnown.set(key, name);
          entry.settled = name;
          return name;
        },
        (error: unknown) => {
          entry.settled = null;
          log.warn(
            `cards show subscription ${subscriptionId} without its name for ${FAILED_NAME_TTL_MS / 60_000} min: ${error instanceof Error ? error.message : String(error)}`,
          );
          return undefined;
        },
      ),
    };
    return entry;
  };
  return async (subscriptionId, log) => {
    const key = subscriptionId.toLowerCase();
    let entry = entries.get(key);
    const age = entry === undefined ? Infinity : now().getTime() - entry.readAt;
    const ttl = entry?.settled === null ? FAILED_NAME_TTL_MS : NAME_TTL_MS;
    if (entry === undefined || age >= ttl) {
      entry = read(subscriptionId, key, log);
      entries.set(key, entry);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
      timer.unref();
    });
    try {
      return (await Promise.race([entry.name, deadline])) ?? lastKnown.get(key);
    } finally {
      clearTimeout(timer);
    }
  };
}
