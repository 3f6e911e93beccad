import { createHash } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/core-auth';

/** Who is calling the emulator, as ARM would know it from the bearer token. */
export type Principal =
  | { readonly kind: 'user'; readonly upn: string; readonly name: string; readonly objectId: string }
  | { readonly kind: 'app'; readonly appId: string; readonly objectId: string; readonly name: string };

export const SECURITY_RP_PRINCIPAL: Principal = {
  kind: 'app',
  appId: '8edd93e1-2103-40b4-bd70-6e34e586362d',
  objectId: 'b2a4b1a8-0d52-4d3c-9f7e-5a1f2c3d4e5f',
  name: 'Windows Azure Security Resource Provider',
};

const AZURE_CLI_APP_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const TOKEN_PREFIX = 'emu.';

/** A bearer token the emulator reads back as this principal. */
export function emulatorToken(principal: Principal): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify(principal)).toString('base64url');
}

/** A TokenCredential for SDK clients that should act as this principal against the emulator. */
export function emulatorCredential(principal: Principal): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token: emulatorToken(principal), expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

export function userPrincipal(upn: string, name = upn.split('@')[0] ?? upn): Principal {
  return { kind: 'user', upn, name, objectId: guidFrom(`user:${upn}`) };
}

/** Any other bearer token is an application whose ids derive from the token text. */
export function principalFromToken(token: string): Principal {
  if (token.startsWith(TOKEN_PREFIX)) {
    try {
      return JSON.parse(
        Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'),
      ) as Principal;
    } catch {
      // fall through: treat as an opaque application token
    }
  }
  return {
    kind: 'app',
    appId: guidFrom(`app:${token}`),
    objectId: guidFrom(`sp:${token}`),
    name: 'application',
  };
}

export function principalKey(principal: Principal): string {
  return principal.objectId;
}

/** Claims as ARM puts them in events: a user carries names, a first-party app only ids. */
export function claimsOf(principal: Principal): Record<string, string> {
  if (principal.kind === 'user') {
    return {
      appid: AZURE_CLI_APP_ID,
      appidacr: '0',
      idtyp: 'user',
      name: principal.name,
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': principal.upn,
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': principal.upn,
      'http://schemas.microsoft.com/identity/claims/objectidentifier': principal.objectId,
      ver: '1.0',
    };
  }
  return {
    appid: principal.appId,
    appidacr: '2',
    idtyp: 'app',
    'http://schemas.microsoft.com/identity/claims/objectidentifier': principal.objectId,
    ver: '1.0',
  };
}

export function displayOf(principal: Principal): string {
  return principal.kind === 'user' ? principal.upn : `app:${principal.appId}`;
}

export function guidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
