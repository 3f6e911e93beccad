import { armError, type EmulatorCore, type Reply, type RequestContext, type Route } from './routing.js';
import { key, type NsgJson } from './state.js';
import { principalKey } from './principal.js';

export interface ResourceGraphOptions {
  /** How long a change takes to reach Resource Graph's index (ms). */
  readonly lagMs: () => number;
  /** Queries per principal per window, and the window (ms): Resource Graph's own quota. */
  readonly quota: () => { readonly queries: number; readonly windowMs: number };
}

/** Resource Graph's page size without `$top`, and the most `$top` may ask. */
const DEFAULT_TOP = 100;
const MAX_TOP = 1000;

/**
 * `POST /providers/Microsoft.ResourceGraph/resources`, for the queries the guardrail sends (a type
 * filter, a text filter on the rules, `project`, `order by id`, `limit`): answered from an index of
 * the NSGs that lags ARM by `lagMs`, scoped to the subscriptions asked for, paged with `$skipToken`
 * (none when the query limits itself), with the per-user quota headers. Shaped like the published
 * examples (`test/fixtures/arm/resourcegraph`). Any other query is refused: this is not a KQL engine.
 */
export function resourceGraphRoutes(core: EmulatorCore, options: ResourceGraphOptions): Route[] {
  const index = new Map<string, NsgJson>();
  const spent = new Map<string, number[]>();

  const refreshIndex = (now: number) => {
    const lag = options.lagMs();
    for (const [id, nsg] of core.state.nsgs) {
      const changed = core.state.modifiedAt.get(id) ?? 0;
      if (now - changed >= lag) index.set(id, structuredClone(nsg));
    }
    for (const id of [...index.keys()]) {
      if (core.state.nsgs.has(id)) continue;
      if (now - (core.state.deletedAt.get(id) ?? 0) >= lag) index.delete(id);
    }
  };

  const quotaHeaders = (
    ctx: RequestContext,
    now: number,
  ): { headers: Record<string, string>; over: boolean } => {
    const { queries, windowMs } = options.quota();
    const who = principalKey(ctx.principal);
    const recent = (spent.get(who) ?? []).filter((at) => now - at < windowMs);
    const over = recent.length >= queries;
    if (!over) recent.push(now);
    spent.set(who, recent);
    const resetsInMs = recent.length > 0 ? windowMs - (now - recent[0]!) : 0;
    return {
      over,
      headers: {
        'x-ms-user-quota-remaining': String(Math.max(0, queries - recent.length)),
        'x-ms-user-quota-resets-after': hhmmss(resetsInMs),
      },
    };
  };

  const answer = (ctx: RequestContext): Reply => {
    const now = Date.now();
    const quota = quotaHeaders(ctx, now);
    if (quota.over) {
      return {
        status: 429,
        headers: quota.headers,
        body: {
          error: {
            code: 'RateLimiting',
            message: 'Please provide below info when asking for support: ... Throttled: too many requests.',
          },
        },
      };
    }
    const body = ctx.body as QueryRequest | undefined;
    if (typeof body?.query !== 'string') return armError(400, 'BadRequest', 'The query is required.');
    const query = parseQuery(body.query);
    if (typeof query === 'string') return armError(400, 'InvalidQuery', query);
    refreshIndex(now);
    // The scope: the subscriptions asked for, or every one below the management groups asked for.
    const subscriptions = new Set([
      ...(body.subscriptions ?? []).map((s) => s.toLowerCase()),
      ...(body.managementGroups ?? []).flatMap((g) => [
        ...(core.state.managementGroups.get(g.toLowerCase()) ?? []),
      ]),
    ]);
    const scoped = body.subscriptions !== undefined || body.managementGroups !== undefined;
    if (query.table === 'resourcecontainers') {
      const rows = subscriptionRows(core, scoped ? subscriptions : undefined)
        .filter((row) => query.type === undefined || row.type === query.type)
        .slice(0, query.limit ?? Infinity)
        .map((row) =>
          query.columns === undefined
            ? row
            : Object.fromEntries(query.columns.map((c) => [c, (row as Record<string, unknown>)[c]])),
        );
      return {
        status: 200,
        headers: quota.headers,
        body: {
          totalRecords: rows.length,
          count: rows.length,
          resultTruncated: 'false',
          facets: [],
          data: rows,
        },
      };
    }
    const rows = [...index.values()]
      .filter((nsg) => !scoped || subscriptions.has(subscriptionOf(nsg.id)))
      .filter((nsg) => query.type === undefined || nsg.type.toLowerCase() === query.type)
      .filter(
        (nsg) =>
          query.rulesContain === undefined ||
          JSON.stringify(nsg.properties.securityRules).toLowerCase().includes(query.rulesContain),
      )
      .sort((a, b) => (key(a.id) < key(b.id) ? -1 : key(a.id) > key(b.id) ? 1 : 0))
      .slice(0, query.limit ?? Infinity)
      .map((nsg) => project(nsg, query.columns));
    const top = Math.min(Number(body.options?.$top ?? DEFAULT_TOP) || DEFAULT_TOP, MAX_TOP);
    const skip = offsetOf(body.options?.$skipToken) ?? Number(body.options?.$skip ?? 0);
    const page = rows.slice(skip, skip + top);
    // A query that limits itself gets no skip token (as documented): the caller must not use limit.
    const next = query.limit === undefined && skip + top < rows.length ? skip + top : undefined;
    return {
      status: 200,
      headers: quota.headers,
      body: {
        totalRecords: rows.length,
        count: page.length,
        resultTruncated: 'false',
        facets: [],
        ...(next === undefined
          ? {}
          : { $skipToken: Buffer.from(JSON.stringify({ offset: next })).toString('base64') }),
        data: page,
      },
    };
  };

  return [
    {
      method: 'POST',
      pattern: /^\/providers\/Microsoft\.ResourceGraph\/resources\/?$/i,
      handler: (ctx) => answer(ctx),
      // Resource Graph has its own quota (above), not ARM's write bucket.
      kind: 'reads',
    },
  ];
}

interface QueryRequest {
  readonly subscriptions?: readonly string[];
  readonly managementGroups?: readonly string[];
  readonly query?: unknown;
  readonly options?: { readonly $top?: number; readonly $skip?: number; readonly $skipToken?: string };
}

interface ParsedQuery {
  readonly table: 'resources' | 'resourcecontainers';
  readonly type: string | undefined;
  readonly rulesContain: string | undefined;
  readonly columns: readonly string[] | undefined;
  readonly limit: number | undefined;
}

/** The stages the guardrail's queries use; a message for anything else. */
function parseQuery(text: string): ParsedQuery | string {
  const [table, ...stages] = text.split('|').map((s) => s.trim());
  const name = (table ?? '').toLowerCase();
  if (name !== 'resources' && name !== 'resourcecontainers')
    return `The emulator serves the 'resources' and 'resourcecontainers' tables only, not '${table}'.`;
  let type: string | undefined;
  let rulesContain: string | undefined;
  let columns: string[] | undefined;
  let limit: number | undefined;
  for (const stage of stages) {
    let m: RegExpExecArray | null;
    if ((m = /^where\s+type\s*=~\s*'([^']+)'$/i.exec(stage))) type = m[1]!.toLowerCase();
    else if ((m = /^where\s+tostring\(properties\.securityRules\)\s+contains\s+'([^']+)'$/i.exec(stage)))
      rulesContain = m[1]!.toLowerCase();
    else if ((m = /^project\s+([\w\s,]+)$/i.exec(stage))) columns = m[1]!.split(',').map((c) => c.trim());
    else if (/^order\s+by\s+id\s+asc$/i.test(stage)) continue;
    else if ((m = /^(?:limit|take)\s+(\d+)$/i.exec(stage))) limit = Number(m[1]);
    else return `The emulator does not serve this query stage: '${stage}'.`;
  }
  return { table: name as ParsedQuery['table'], type, rulesContain, columns, limit };
}

/** The subscriptions Resource Graph knows (named ones, placed ones, ones holding NSGs), as rows. */
function subscriptionRows(core: EmulatorCore, scope: ReadonlySet<string> | undefined) {
  const known = new Set<string>([
    ...core.state.subscriptionNames.keys(),
    ...[...core.state.managementGroups.values()].flatMap((s) => [...s]),
    ...[...core.state.nsgs.keys()].map(subscriptionOf),
  ]);
  return [...known]
    .filter((id) => id !== '' && (scope === undefined || scope.has(id)))
    .sort()
    .map((id) => ({
      id: `/subscriptions/${id}`,
      name: id,
      type: 'microsoft.resources/subscriptions',
      subscriptionId: id,
      properties: { displayName: core.state.subscriptionNames.get(id) ?? id, state: 'Enabled' },
    }));
}

function project(nsg: NsgJson, columns: readonly string[] | undefined): Record<string, unknown> {
  const row: Record<string, unknown> = {
    id: nsg.id,
    name: nsg.name,
    type: nsg.type.toLowerCase(),
    location: nsg.location,
    subscriptionId: subscriptionOf(nsg.id),
    properties: nsg.properties,
  };
  return columns === undefined ? row : Object.fromEntries(columns.map((c) => [c, row[c]]));
}

function subscriptionOf(id: string): string {
  return /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase() ?? '';
}

function offsetOf(token: string | undefined): number | undefined {
  if (token === undefined) return undefined;
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown }).offset;
    return typeof offset === 'number' ? offset : undefined;
  } catch {
    return undefined;
  }
}

/** "00:00:05": how Resource Graph writes `x-ms-user-quota-resets-after`. */
function hhmmss(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}
