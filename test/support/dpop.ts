// DPoP keys and proofs (RFC 9449) and private_key_jwt assertions (RFC 7523), signed with jose.
import { createHash, randomUUID } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';

export interface TestKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function testKey(): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, publicKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

export interface ProofClaims {
  htm: string;
  htu: string;
  nonce?: string | undefined;
  /** The access token the proof goes with; its hash becomes ath. */
  accessToken?: string;
  jti?: string;
  iat?: number;
}

export async function dpopProof(key: TestKey, claims: ProofClaims): Promise<string> {
  const payload: Record<string, unknown> = { htm: claims.htm, htu: claims.htu };
  if (claims.nonce !== undefined) payload.nonce = claims.nonce;
  if (claims.accessToken !== undefined) {
    payload.ath = createHash('sha256').update(claims.accessToken).digest('base64url');
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .setJti(claims.jti ?? randomUUID())
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}

/** A client_assertion for private_key_jwt: iss = sub = client_id, aud = the issuer, one minute. */
export async function clientAssertion(
  key: TestKey,
  clientId: string,
  audience: string,
  jti: string = randomUUID(),
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(key.privateKey);
}

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
