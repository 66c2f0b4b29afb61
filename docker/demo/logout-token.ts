// Verifies an OpenID Connect Back-Channel Logout 1.0 logout token (section 2.6) for one client.
import { errors, type JWTVerifyGetKey, jwtVerify } from 'jose';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Who the token signs out: the issuer's session id, the subject, or both. */
export interface LogoutTarget {
  sid?: string;
  sub?: string;
}

export interface LogoutTokenCheck {
  issuer: string;
  clientId: string;
  /** The issuer's keys, e.g. jose's createRemoteJWKSet(jwks_uri). */
  keys: JWTVerifyGetKey;
  /** Oldest acceptable iat, in seconds (default 300). */
  maxAgeSeconds?: number;
  /** Remembers jti values already seen; a repeated one is refused. */
  seen?: ReplayGuard;
}

/** The token was refused; `reason` is safe to log and to answer with. */
export class LogoutTokenRejected extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`logout token rejected: ${reason}`);
    this.reason = reason;
    this.name = 'LogoutTokenRejected';
  }
}

// Only asymmetric algorithms: a public client shares no secret to verify an HMAC with.
const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'];

export async function verifyLogoutToken(token: string, check: LogoutTokenCheck) {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, check.keys, {
      issuer: check.issuer,
      audience: check.clientId,
      typ: 'logout+jwt',
      algorithms: ALGORITHMS,
      maxTokenAge: check.maxAgeSeconds ?? 300,
      requiredClaims: ['iat', 'jti'],
    }));
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new LogoutTokenRejected(error.code);
    throw error;
  }
  const events = payload.events;
  if (
    typeof events !== 'object' ||
    events === null ||
    typeof (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] !== 'object'
  ) {
    throw new LogoutTokenRejected('events lacks the back-channel logout event');
  }
  if ('nonce' in payload) throw new LogoutTokenRejected('nonce is forbidden');
  const target: LogoutTarget = {};
  if (typeof payload.sid === 'string' && payload.sid !== '') target.sid = payload.sid;
  if (typeof payload.sub === 'string' && payload.sub !== '') target.sub = payload.sub;
  if (!target.sid && !target.sub) throw new LogoutTokenRejected('neither sid nor sub');
  if (check.seen && !check.seen.firstTime(String(payload.jti), Number(payload.iat))) {
    throw new LogoutTokenRejected('jti already used');
  }
  return target;
}

/** jti values seen within the accepted age; older ones are forgotten (their tokens fail on iat). */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly maxAgeSeconds: number;
  constructor(maxAgeSeconds = 300) {
    this.maxAgeSeconds = maxAgeSeconds;
  }

  firstTime(jti: string, iat: number): boolean {
    const now = Date.now() / 1000;
    for (const [id, at] of this.#seen) if (at < now - this.maxAgeSeconds) this.#seen.delete(id);
    if (this.#seen.has(jti)) return false;
    this.#seen.set(jti, iat);
    return true;
  }
}
