/** The parts of an HTTP request the reconcile endpoint looks at. */
export interface HttpRequestLike {
  readonly method: string;
  readonly headers: { get(name: string): string | null };
  readonly query: { get(name: string): string | null };
  readonly bodyText: string;
}

export type ReconcileHttpDecision =
  | { readonly ok: true; readonly dryRun: boolean; readonly caller: string | undefined }
  | {
      readonly ok: false;
      readonly status: 400 | 401 | 403 | 405 | 413;
      readonly error: string;
      readonly headers?: Record<string, string>;
    };

export const MAX_BODY_BYTES = 4096;

/**
 * Decides whether a reconcile request may run and how: POST only; when App Service authentication
 * sits in front (its `x-ms-client-*` headers are present) the caller must hold `adminAppRole`;
 * `dryRun` from the JSON body or the query, `true` or `false`.
 */
export function decideReconcileRequest(
  request: HttpRequestLike,
  adminAppRole: string,
): ReconcileHttpDecision {
  if (request.method.toUpperCase() !== 'POST') {
    return { ok: false, status: 405, error: 'use POST', headers: { Allow: 'POST' } };
  }
  const principal = readClientPrincipal(request.headers);
  if (principal.kind === 'malformed') return { ok: false, status: 401, error: principal.error };
  if (principal.kind === 'present' && !principal.roles.includes(adminAppRole)) {
    return { ok: false, status: 403, error: `the caller lacks the app role '${adminAppRole}'` };
  }
  if (Buffer.byteLength(request.bodyText) > MAX_BODY_BYTES) {
    return { ok: false, status: 413, error: `the body is larger than ${MAX_BODY_BYTES} bytes` };
  }
  const dryRun = readDryRun(request);
  if (typeof dryRun === 'string') return { ok: false, status: 400, error: dryRun };
  return { ok: true, dryRun, caller: principal.kind === 'present' ? principal.name : undefined };
}

function readDryRun(request: HttpRequestLike): boolean | string {
  let fromBody: unknown;
  if (request.bodyText.trim() !== '') {
    let body: unknown;
    try {
      body = JSON.parse(request.bodyText);
    } catch {
      return 'the body must be JSON, e.g. {"dryRun": true}';
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return 'the body must be a JSON object';
    const unknownKeys = Object.keys(body).filter((k) => k !== 'dryRun');
    if (unknownKeys.length > 0) return `unknown field(s): ${unknownKeys.join(', ')}`;
    fromBody = (body as { dryRun?: unknown }).dryRun;
  }
  const fromQuery = request.query.get('dryRun');
  const value = fromBody ?? fromQuery ?? false;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return 'dryRun must be true or false';
}

type ClientPrincipal =
  | { readonly kind: 'absent' }
  | { readonly kind: 'present'; readonly name: string | undefined; readonly roles: readonly string[] }
  | { readonly kind: 'malformed'; readonly error: string };

const ROLE_CLAIMS = new Set(['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role']);

/** App Service authentication (Easy Auth) passes the signed-in caller as base64 JSON. */
function readClientPrincipal(headers: HttpRequestLike['headers']): ClientPrincipal {
  const encoded = headers.get('x-ms-client-principal');
  const easyAuthInFront =
    encoded !== null ||
    headers.get('x-ms-client-principal-id') !== null ||
    headers.get('x-ms-client-principal-idp') !== null;
  if (!easyAuthInFront) return { kind: 'absent' };
  if (encoded === null)
    return { kind: 'malformed', error: 'authentication headers present but no x-ms-client-principal' };
  let principal: { claims?: { typ?: unknown; val?: unknown }[]; role_typ?: unknown; name_typ?: unknown };
  try {
    principal = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return { kind: 'malformed', error: 'x-ms-client-principal is not base64 JSON' };
  }
  if (typeof principal !== 'object' || principal === null || !Array.isArray(principal.claims)) {
    return { kind: 'malformed', error: 'x-ms-client-principal has no claims' };
  }
  const roleType = typeof principal.role_typ === 'string' ? principal.role_typ : undefined;
  const nameType = typeof principal.name_typ === 'string' ? principal.name_typ : 'name';
  const roles = principal.claims
    .filter((c) => typeof c.val === 'string' && (c.typ === roleType || ROLE_CLAIMS.has(String(c.typ))))
    .map((c) => String(c.val));
  const name = principal.claims.find((c) => c.typ === nameType || c.typ === 'preferred_username');
  return { kind: 'present', roles, name: typeof name?.val === 'string' ? name.val : undefined };
}
