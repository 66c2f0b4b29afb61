// Checks a DPoP proof (RFC 9449 §4.3, §7) presented with a DPoP-bound access token at our /api:
// signature by the embedded key, typ, htm, htu, iat, ath, the token's jkt, the nonce and replay.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import type { DpopNonces } from '../oidc/dpop-nonces.ts';

/** The reasons a proof is refused; each has a message (api.dpop_*) and an RFC 9449 error code. */
export type DpopRefusal =
  | 'invalid'
  | 'wrong_method'
  | 'wrong_url'
  | 'stale'
  | 'wrong_token'
  | 'wrong_key'
  | 'replayed'
  | 'nonce';

export class DpopProofRefused extends Error {
  readonly reason: DpopRefusal;

  constructor(reason: DpopRefusal) {
    super(`DPoP proof refused: ${reason}`);
    this.name = 'DpopProofRefused';
    this.reason = reason;
  }
}

export const DPOP_ALGORITHMS = ['ES256', 'Ed25519', 'EdDSA'];
/** How far a proof's iat may be from our clock: the nonce already bounds its age. */
const IAT_WINDOW_SECONDS = 300;

export interface DpopCheck {
  proof: string;
  method: string;
  /** The public URL of the request, without query or fragment. */
  url: string;
  accessToken: string;
  /** The thumbprint the token is bound to (cnf.jkt). */
  jkt: string;
  nonces: DpopNonces;
  /** True the first time this jti is seen for this key; stored until `until` (epoch seconds). */
  firstUse(jkt: string, jti: string, until: number): Promise<boolean>;
  now?: () => number;
}

export async function checkDpopProof(check: DpopCheck): Promise<void> {
  let payload: Record<string, unknown>;
  let jwk: Parameters<typeof calculateJwkThumbprint>[0];
  try {
    const verified = await jwtVerify(check.proof, EmbeddedJWK, {
      algorithms: DPOP_ALGORITHMS,
      typ: 'dpop+jwt',
    });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as typeof jwk;
  } catch {
    throw new DpopProofRefused('invalid');
  }
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) {
    throw new DpopProofRefused('invalid');
  }
  if (payload.htm !== check.method) throw new DpopProofRefused('wrong_method');
  const htu = typeof payload.htu === 'string' ? URL.parse(payload.htu) : null;
  if (htu) {
    htu.search = '';
    htu.hash = '';
  }
  if (!htu || htu.href !== new URL(check.url).href) throw new DpopProofRefused('wrong_url');
  const now = Math.floor((check.now ?? Date.now)() / 1000);
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > IAT_WINDOW_SECONDS) {
    throw new DpopProofRefused('stale');
  }
  const ath = createHash('sha256').update(check.accessToken).digest('base64url');
  if (payload.ath !== ath) throw new DpopProofRefused('wrong_token');
  if ((await calculateJwkThumbprint(jwk)) !== check.jkt) throw new DpopProofRefused('wrong_key');
  if (!check.nonces.accepts(payload.nonce)) throw new DpopProofRefused('nonce');
  // Last: a proof refused for another reason does not use up its jti.
  if (!(await check.firstUse(check.jkt, payload.jti, now + 2 * IAT_WINDOW_SECONDS))) {
    throw new DpopProofRefused('replayed');
  }
}
