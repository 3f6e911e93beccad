import type { SubscriptionGateway } from '../adapters/subscriptionGateway.js';
import type { Logger } from './logger.js';

/** How long a display name is trusted: names are renamed rarely, and a stale one only reads oddly. */
export const NAME_TTL_MS = 60 * 60 * 1000;

/** A subscription's display name for a card, or undefined when it cannot be had (the card shows the id). */
export type SubscriptionNames = (subscriptionId: string, log: Logger) => Promise<string | undefined>;

/**
 * Display names read once per hour per subscription and instance. A failed read is logged and not
 * kept: the alert goes out with the subscription id alone (a name is worth less than an alert held
 * back), and the next alert asks again.
 */
export function cacheSubscriptionNames(gateway: SubscriptionGateway, now: () => Date): SubscriptionNames {
  const names = new Map<string, { readAt: number; name: Promise<string> }>();
  return async (subscriptionId, log) => {
    const key = subscriptionId.toLowerCase();
    let entry = names.get(key);
    if (entry === undefined || now().getTime() - entry.readAt >= NAME_TTL_MS) {
      entry = { readAt: now().getTime(), name: gateway.displayName(subscriptionId) };
      names.set(key, entry);
    }
    try {
      return await entry.name;
    } catch (error) {
      if (names.get(key) === entry) names.delete(key);
      log.warn(
        `the card shows subscription ${subscriptionId} without its name: ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    }
  };
}
