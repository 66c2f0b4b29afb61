// How oidc-provider records are named in Redis: record keys (hashed for bearer secrets), and the
// uid, user-code, grant and account indexes.
import { hash } from 'node:crypto';

/** Models whose records belong to a grant and go when the grant is revoked. */
export const GRANTABLE: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * Models whose id is a bearer secret (a token, a code, the session cookie): their records are
 * stored under a hash of the id and the id is left out of the stored payload, so a copy of Redis
 * holds no usable token. Interactions, grants and DPoP replay entries keep their ids: none of them
 * lets anyone act without a cookie, a token or client credentials.
 */
export const HASHED_MODELS: ReadonlySet<string> = new Set([
  ...GRANTABLE,
  'Session',
  'ClientCredentials',
  'PushedAuthorizationRequest',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

/** The part of a record key after the model name: a SHA-256 of the id for HASHED_MODELS. */
export function storageId(prefix: string, model: string, id: string): string {
  if (!HASHED_MODELS.has(model)) return id;
  return hash('sha256', `${prefix}${model}:${id}`, 'base64url');
}

/** The key of a record by the id it is stored under (storageId), e.g. from an index. */
export function storedKey(prefix: string, model: string, sid: string): string {
  return `${prefix}${model}:${sid}`;
}

export function recordKey(prefix: string, model: string, id: string): string {
  return storedKey(prefix, model, storageId(prefix, model, id));
}

/** Device-flow user codes are typed by people and guessable from a dump unless hashed too. */
export function userCodeKey(prefix: string, userCode: string): string {
  return `${prefix}userCode:${hash('sha256', `${prefix}userCode:${userCode}`, 'base64url')}`;
}

export function grantIndexKey(prefix: string, grantId: string): string {
  return `${prefix}grant:${grantId}`;
}

/** Per-account sorted sets of session storage ids and grant ids, scored by expiry (ms). */
export function accountIndexKey(
  prefix: string,
  accountId: string,
  kind: 'sessions' | 'grants',
): string {
  return `${prefix}account:${accountId}:${kind}`;
}

/**
 * What a list of devices shows about a session or grant (device, address, sign-in, activity), a
 * hash beside the record: the adapter's scripts give it the record's expiry and delete it with it.
 * Its hash tag is the record's whole key (which has no braces), so on a Redis Cluster it lives in
 * the record's slot and one script can touch both.
 */
export function metaKey(prefix: string, model: 'Session' | 'Grant', sid: string): string {
  return `${prefix}meta:{${storedKey(prefix, model, sid)}}`;
}

/** Sessions found by their uid (the library's findByUid). */
export function sessionUidKey(prefix: string, uid: string): string {
  return `${prefix}sessionUid:${uid}`;
}
