import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError } from '@azure/core-rest-pipeline';
import type { GuardrailConfig } from '../config/settings.js';
import { toArmCallError } from './armCallError.js';
import { armClientOptions } from './armClientOptions.js';

/** A stable version (the SDK's own default is a preview). */
export const RESOURCE_GRAPH_API_VERSION = '2024-04-01';

/**
 * NSGs that may hold a JIT allow rule, without expanding the rules (`mv-expand` stops at 128 rows
 * per record by default, and an NSG may hold 1,000 rules): JIT names its allow rules
 * `…JITRule-<n>-<guid>` and its standing deny rules `…JITRule_<n>_<guid>`, so the text test picks only
 * NSGs with allow rules. `contains` ignores case. A superset is fine: each candidate is read again from
 * ARM and decided by the pure evaluation. No `limit`: with it Resource Graph returns no skip token.
 */
export const CANDIDATE_NSG_QUERY = [
  'resources',
  "where type =~ 'microsoft.network/networksecuritygroups'",
  "where tostring(properties.securityRules) contains 'JITRule-'",
  'project id',
  'order by id asc',
].join(' | ');

/** Every subscription below a management group (Resource Graph's scope does the walking). */
export const SUBSCRIPTIONS_QUERY = [
  'resourcecontainers',
  "where type =~ 'microsoft.resources/subscriptions'",
  'project id',
  'order by id asc',
].join(' | ');

/** Rows per page (Resource Graph's most), and subscriptions per request (its limit). */
const PAGE_ROWS = 1000;
const SUBSCRIPTIONS_PER_REQUEST = 1000;
/** How often a page is asked again after the per-user quota ran out, and the longest wait. */
const QUOTA_RETRIES = 3;
const MAX_QUOTA_WAIT_MS = 60_000;

/** Asks Resource Graph, across subscriptions, for NSGs worth a fresh look. */
export interface ResourceGraphGateway {
  /** Ids of candidate NSGs, a page at a time; a hint only, since Resource Graph lags ARM. */
  candidateNsgPages(subscriptions: readonly string[]): AsyncIterable<string[]>;
  /** The ids of the subscriptions below a management group, as the identity can see them. */
  subscriptionsBelow(managementGroupId: string): Promise<string[]>;
  /**
   * Which of these subscriptions Resource Graph shows: it leaves out, without a word, any the identity
   * cannot read (or that does not exist), so a candidate query alone would call those clean.
   */
  subscriptionsVisible(subscriptions: readonly string[]): Promise<string[]>;
}

export function createResourceGraphGateway(
  config: GuardrailConfig,
  credential: TokenCredential,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): ResourceGraphGateway {
  // Loaded on first use: the event path never queries Resource Graph, and starts without it.
  let client: Promise<ResourceGraphClient> | undefined;
  const clientOnce = () =>
    (client ??= import('@azure/arm-resourcegraph').then(
      ({ ResourceGraphClient }) =>
        new ResourceGraphClient(credential, {
          ...armClientOptions(config),
          apiVersion: RESOURCE_GRAPH_API_VERSION,
        }),
    ));
  const query = async (
    text: string,
    scope: { subscriptions: string[] } | { managementGroups: string[] },
    skipToken: string | undefined,
  ) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await (
          await clientOnce()
        ).resources({
          query: text,
          ...scope,
          options: { top: PAGE_ROWS, resultFormat: 'objectArray', ...(skipToken ? { skipToken } : {}) },
        });
      } catch (error) {
        const wait = quotaWaitMs(error);
        if (wait === undefined || attempt >= QUOTA_RETRIES)
          throw toArmCallError('query Resource Graph', '/providers/Microsoft.ResourceGraph/resources', error);
        await sleep(Math.min(wait, MAX_QUOTA_WAIT_MS));
      }
    }
  };
  return {
    async *candidateNsgPages(subscriptions) {
      for (let at = 0; at < subscriptions.length; at += SUBSCRIPTIONS_PER_REQUEST) {
        const chunk = subscriptions.slice(at, at + SUBSCRIPTIONS_PER_REQUEST);
        let skipToken: string | undefined;
        do {
          const page = await query(CANDIDATE_NSG_QUERY, { subscriptions: [...chunk] }, skipToken);
          yield rowsOf(page.data).flatMap((row) => (typeof row.id === 'string' ? [row.id] : []));
          skipToken = page.skipToken;
        } while (skipToken !== undefined);
      }
    },
    subscriptionsBelow: (managementGroupId) => subscriptionIds({ managementGroups: [managementGroupId] }),
    async subscriptionsVisible(subscriptions) {
      const ids: string[] = [];
      for (let at = 0; at < subscriptions.length; at += SUBSCRIPTIONS_PER_REQUEST)
        ids.push(
          ...(await subscriptionIds({
            subscriptions: subscriptions.slice(at, at + SUBSCRIPTIONS_PER_REQUEST),
          })),
        );
      return ids;
    },
  };

  async function subscriptionIds(scope: { subscriptions: string[] } | { managementGroups: string[] }) {
    const ids: string[] = [];
    let skipToken: string | undefined;
    do {
      const page = await query(SUBSCRIPTIONS_QUERY, scope, skipToken);
      for (const row of rowsOf(page.data)) {
        const id = typeof row.id === 'string' ? /^\/subscriptions\/([^/]+)$/i.exec(row.id)?.[1] : undefined;
        if (id !== undefined) ids.push(id);
      }
      skipToken = page.skipToken;
    } while (skipToken !== undefined);
    return ids;
  }
}

/**
 * The rows of a page. The SDK types `data` as an object and deserializes the JSON array into one
 * keyed "0", "1", …: both shapes are read, in order.
 */
function rowsOf(data: unknown): { id?: unknown }[] {
  if (Array.isArray(data)) return data as { id?: unknown }[];
  if (typeof data !== 'object' || data === null) return [];
  return Object.entries(data as Record<string, { id?: unknown }>)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, row]) => row);
}

/**
 * Resource Graph's own throttling: 429 with `x-ms-user-quota-resets-after` (hh:mm:ss) rather than
 * `Retry-After`, which the SDK's retry policy would honour. Undefined for any other failure.
 */
function quotaWaitMs(error: unknown): number | undefined {
  if (!isRestError(error) || error.statusCode !== 429) return undefined;
  const resetsAfter = error.response?.headers.get('x-ms-user-quota-resets-after');
  const match = /^(\d+):(\d{2}):(\d{2})$/.exec(resetsAfter ?? '');
  if (match === null) return 1_000;
  return ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000 + 100;
}
