/** The parts of an HTTP request the reconcile endpoint looks at before it reads the body. */
export interface RequestHead {
  readonly method: string;
  readonly headers: { get(name: string): string | null };
}

/** How the platform in front of the app authenticates callers (read from its settings). */
export interface AdminAuth {
  /**
   * App Service authentication is on (`WEBSITE_AUTH_ENABLED`): only then did the platform set the
   * `x-ms-client-principal*` headers; without it, anyone holding the function key can send them.
   */
  readonly platformAuthEnabled: boolean;
  /** The app role a signed-in caller needs to change the role (`GUARDRAIL_ADMIN_APP_ROLE`). */
  readonly adminAppRole: string;
}

export type Refusal = {
  readonly ok: false;
  readonly status: 400 | 401 | 403 | 405 | 413;
  readonly error: string;
  readonly headers?: Record<string, string>;
};

/** Who is calling, as far as the platform vouches for it. */
export interface Caller {
  /** The signed-in caller's name; undefined when only the function key was presented. */
  readonly name: string | undefined;
  /** A platform-verified principal holding the admin app role: the only caller that may write. */
  readonly mayWrite: boolean;
}

export const MAX_BODY_BYTES = 4096;

const PRINCIPAL_HEADERS = ['x-ms-client-principal', 'x-ms-client-principal-id', 'x-ms-client-principal-idp'];

/** `WEBSITE_AUTH_ENABLED` and `GUARDRAIL_ADMIN_APP_ROLE`, read without the rest of the settings. */
export function adminAuthFrom(env: Readonly<Record<string, string | undefined>>): AdminAuth {
  const role = env.GUARDRAIL_ADMIN_APP_ROLE?.trim();
  return {
    platformAuthEnabled: env.WEBSITE_AUTH_ENABLED?.trim().toLowerCase() === 'true',
    adminAppRole: role === undefined || role === '' ? 'Guardrail.Admin' : role,
  };
}

/**
 * Step one, before anything else (settings, body): who is calling and may they. Principal headers
 * count only when the platform's authentication is on; a caller it signed in must hold the admin
 * role; a caller with only the function key may ask for a dry run and nothing more.
 */
export function authorizeReconcileCaller(head: RequestHead, auth: AdminAuth): Caller | Refusal {
  const sent = PRINCIPAL_HEADERS.some((name) => head.headers.get(name) !== null);
  if (sent && !auth.platformAuthEnabled) {
    return {
      ok: false,
      status: 401,
      error:
        'x-ms-client-principal is trusted only behind App Service authentication, which is off for this app',
    };
  }
  let caller: Caller = { name: undefined, mayWrite: false };
  if (sent) {
    const principal = readClientPrincipal(head.headers);
    if (principal.kind === 'malformed') return { ok: false, status: 401, error: principal.error };
    if (!principal.roles.includes(auth.adminAppRole)) {
      return { ok: false, status: 403, error: `the caller lacks the app role '${auth.adminAppRole}'` };
    }
    caller = { name: principal.name, mayWrite: true };
  }
  if (head.method.toUpperCase() !== 'POST') {
    return { ok: false, status: 405, error: 'use POST', headers: { Allow: 'POST' } };
  }
  // Refused on its declared length, unread; a body without one is read only up to the limit.
  const length = Number(head.headers.get('content-length') ?? '0');
  if (Number.isFinite(length) && length > MAX_BODY_BYTES) {
    return { ok: false, status: 413, error: `the body is larger than ${MAX_BODY_BYTES} bytes` };
  }
  return caller;
}

/**
 * Step two, on the body read up to the limit: a dry run unless the caller asks for
 * `{"dryRun": false}` (or `?dryRun=false`), and a write only for a caller who may write.
 */
export function decideReconcileRun(
  caller: Caller,
  /** Undefined when the body ran past the limit (it was not read further). */
  bodyText: string | undefined,
  query: { get(name: string): string | null; getAll?(name: string): string[] },
): { readonly ok: true; readonly dryRun: boolean } | Refusal {
  if (bodyText === undefined || Buffer.byteLength(bodyText) > MAX_BODY_BYTES) {
    return { ok: false, status: 413, error: `the body is larger than ${MAX_BODY_BYTES} bytes` };
  }
  const dryRun = readDryRun(bodyText, query);
  if (typeof dryRun === 'string') return { ok: false, status: 400, error: dryRun };
  if (!dryRun && !caller.mayWrite) {
    return {
      ok: false,
      status: 403,
      error:
        'a write needs a caller signed in through App Service authentication with the admin app role; the function key alone allows {"dryRun": true}',
    };
  }
  return { ok: true, dryRun };
}

function readDryRun(
  bodyText: string,
  query: { get(name: string): string | null; getAll?(name: string): string[] },
): boolean | string {
  let fromBody: unknown;
  if (bodyText.trim() !== '') {
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      return 'the body must be JSON, e.g. {"dryRun": true}';
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return 'the body must be a JSON object';
    const unknownKeys = Object.keys(body).filter((k) => k !== 'dryRun');
    if (unknownKeys.length > 0) return `unknown field(s): ${JSON.stringify(unknownKeys).slice(0, 200)}`;
    // JSON.parse keeps the last of repeated keys; a body that says it twice is refused instead.
    if ((bodyText.match(/"dryRun"\s*:/g) ?? []).length > 1) return 'dryRun given more than once in the body';
    fromBody = (body as { dryRun?: unknown }).dryRun;
    if (fromBody !== undefined && typeof fromBody !== 'boolean') return 'dryRun must be true or false';
  }
  const inQuery = query.getAll?.('dryRun') ?? [query.get('dryRun')].filter((v) => v !== null);
  if (inQuery.length > 1) return 'dryRun given more than once in the query';
  const fromQuery = inQuery[0];
  if (fromQuery !== undefined && fromQuery !== 'true' && fromQuery !== 'false')
    return 'dryRun must be true or false';
  if (typeof fromBody === 'boolean' && fromQuery !== undefined && String(fromBody) !== fromQuery)
    return 'dryRun differs between the body and the query';
  // Nothing asked for: a dry run. A write is always asked for in so many words.
  return typeof fromBody === 'boolean' ? fromBody : fromQuery !== 'false';
}

type ClientPrincipal =
  | { readonly kind: 'present'; readonly name: string | undefined; readonly roles: readonly string[] }
  | { readonly kind: 'malformed'; readonly error: string };

const ROLE_CLAIMS = new Set(['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role']);

/**
 * App Service authentication (Easy Auth) passes the signed-in caller as base64 JSON. Only a caller
 * Entra ID signed in counts (the provider infra configures), and roles only from the standard role
 * claims: a principal cannot name which of its claims holds roles.
 */
function readClientPrincipal(headers: RequestHead['headers']): ClientPrincipal {
  const encoded = headers.get('x-ms-client-principal');
  if (encoded === null)
    return { kind: 'malformed', error: 'authentication headers present but no x-ms-client-principal' };
  let principal: { auth_typ?: unknown; claims?: { typ?: unknown; val?: unknown }[]; name_typ?: unknown };
  try {
    principal = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return { kind: 'malformed', error: 'x-ms-client-principal is not base64 JSON' };
  }
  if (typeof principal !== 'object' || principal === null || !Array.isArray(principal.claims)) {
    return { kind: 'malformed', error: 'x-ms-client-principal has no claims' };
  }
  const provider = headers.get('x-ms-client-principal-idp') ?? principal.auth_typ;
  if (typeof provider !== 'string' || provider.toLowerCase() !== 'aad') {
    return { kind: 'malformed', error: 'only a caller signed in with Entra ID (aad) is accepted' };
  }
  const nameType = typeof principal.name_typ === 'string' ? principal.name_typ : 'name';
  const roles = principal.claims
    .filter((c) => typeof c.val === 'string' && ROLE_CLAIMS.has(String(c.typ)))
    .map((c) => String(c.val));
  const name = principal.claims.find((c) => c.typ === nameType || c.typ === 'preferred_username');
  return { kind: 'present', roles, name: typeof name?.val === 'string' ? name.val : undefined };
}
