// WebAuthn challenges waiting for their ceremony's answer: one Redis key per challenge (named by
// its hash), taken with GETDEL so of concurrent answers at most one finds it, and refused once
// older than their lifetime even if Redis has not expired the key yet.
import { createHash } from 'node:crypto';
import type { RedisClient } from '../db/redis.ts';

/** What a challenge was issued for, and what it is bound to. */
export type ChallengeFor =
  /** Signing in on the sign-in page of one interaction (or another step bound to it). */
  | { purpose: 'sign-in'; bound: string }
  /** A passkey-only sign-up on the sign-up page of one interaction, with what was typed there. */
  | { purpose: 'sign-up'; bound: string; name: string; email: string; userHandle: string }
  /** Adding a passkey on the account page of one session, for its account. */
  | { purpose: 'add'; bound: string; accountId: string; name: string; userHandle: string }
  /** A passkey assertion for an account already known, e.g. as a second factor. */
  | { purpose: 'assert'; bound: string; accountId: string };

type Stored = ChallengeFor & { issuedAt: number };

/** Long enough to find a security key or unlock a phone, short enough to be worth little. */
export const CHALLENGE_MS = 5 * 60 * 1000;

export class PasskeyChallenges {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #lifetimeMs: number;

  constructor(redis: RedisClient, prefix: string, lifetimeMs = CHALLENGE_MS) {
    this.#redis = redis;
    this.#prefix = `${prefix}webauthn-challenge:`;
    this.#lifetimeMs = lifetimeMs;
  }

  /** How long a challenge may be answered, in milliseconds (the ceremony's timeout too). */
  get lifetimeMs(): number {
    return this.#lifetimeMs;
  }

  #key(challenge: string) {
    return this.#prefix + createHash('sha256').update(challenge).digest('base64url');
  }

  async remember(challenge: string, what: ChallengeFor): Promise<void> {
    const stored: Stored = { ...what, issuedAt: Date.now() };
    await this.#redis.set(this.#key(challenge), JSON.stringify(stored), 'PX', this.#lifetimeMs);
  }

  /** What the challenge was issued for, once, while it is fresh; undefined otherwise. */
  async take(challenge: string): Promise<ChallengeFor | undefined> {
    if (challenge.length === 0 || challenge.length > 200) return undefined;
    const value = await this.#redis.getdel(this.#key(challenge));
    if (value === null) return undefined;
    const { issuedAt, ...what } = JSON.parse(value) as Stored;
    if (typeof issuedAt !== 'number' || Date.now() - issuedAt > this.#lifetimeMs) return undefined;
    return what;
  }
}
