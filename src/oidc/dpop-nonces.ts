// DPoP server nonces (RFC 9449 §8, §9): derived from the shared cookie key, so every instance
// issues and accepts the same ones without storing anything; they change every minute.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '../keys/cookie-keys.ts';

const STEP_SECONDS = 60;
/** A nonce stays good for about five minutes after it was handed out. */
const STEPS_BACK = 5;

/** The provider's nonce secret: 32 bytes, one purpose, the same on every instance. */
export function dpopNonceSecret(cookieKeys: readonly string[]): Buffer {
  const newest = cookieKeys[0];
  if (newest === undefined) throw new Error('no cookie key to derive the DPoP nonce secret from');
  return deriveKey(newest, 'dpop-nonce');
}

/** Nonces for one resource server (Latchkey's /api), apart from the token endpoint's own. */
export class DpopNonces {
  readonly #secret: Buffer;
  readonly #purpose: string;
  readonly #now: () => number;

  constructor(secret: Buffer, purpose: string, now: () => number = Date.now) {
    this.#secret = secret;
    this.#purpose = purpose;
    this.#now = now;
  }

  #at(step: number): string {
    return createHmac('sha256', this.#secret)
      .update(`${this.#purpose}:${step}`)
      .digest('base64url');
  }

  #step(): number {
    return Math.floor(this.#now() / 1000 / STEP_SECONDS);
  }

  /** The nonce to hand out now. */
  current(): string {
    return this.#at(this.#step());
  }

  /** True for a nonce this server handed out in the last few minutes. */
  accepts(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length !== 43) return false;
    const given = Buffer.from(nonce);
    const step = this.#step();
    let ok = false;
    for (let s = step - STEPS_BACK; s <= step; s++) {
      // Every candidate is compared, in constant time, whatever matched before.
      ok = timingSafeEqual(given, Buffer.from(this.#at(s))) || ok;
    }
    return ok;
  }
}
