import { readIgnoringCase } from './readIgnoringCase.js';

/** The Security resource provider's first-party app: the identity that writes JIT rules. */
export const SECURITY_RP_APP_ID = '8edd93e1-2103-40b4-bd70-6e34e586362d';

export interface Writer {
  readonly kind: 'jit' | 'user' | 'app' | 'unknown';
  /** What an operator reads in an alert. */
  readonly display: string;
  readonly appId: string | undefined;
  readonly objectId: string | undefined;
}

const CLAIM = {
  appId: 'appid',
  azpAppId: 'azp',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  nameId: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  name: 'name',
  objectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  oid: 'oid',
  idType: 'idtyp',
};

function claim(claims: unknown, key: string): string | undefined {
  const value = readIgnoringCase(claims, key);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Who wrote the resource, from the event's claims. A first-party app's write carries `appid` and no
 * name, so the app id decides (never `caller`, which is only an object id).
 */
export function identifyWriter(claims: unknown): Writer {
  const appId = claim(claims, CLAIM.appId) ?? claim(claims, CLAIM.azpAppId);
  const objectId = claim(claims, CLAIM.objectId) ?? claim(claims, CLAIM.oid);
  if (appId?.toLowerCase() === SECURITY_RP_APP_ID) {
    return { kind: 'jit', display: 'Defender for Cloud JIT (Security RP)', appId, objectId };
  }
  const person = claim(claims, CLAIM.upn) ?? claim(claims, CLAIM.nameId) ?? claim(claims, CLAIM.name);
  if (person !== undefined && claim(claims, CLAIM.idType) !== 'app') {
    return { kind: 'user', display: person, appId, objectId };
  }
  if (appId !== undefined) {
    return { kind: 'app', display: `application ${appId}`, appId, objectId };
  }
  return { kind: 'unknown', display: 'unknown', appId, objectId };
}
