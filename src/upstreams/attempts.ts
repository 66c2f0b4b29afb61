// Server-side memory of sign-in attempts sent upstream (state, nonce, PKCE verifier), single use,
// and of links waiting for the person to prove they own an existing account.
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../db/redis.ts';
import type { UpstreamIdentity } from './upstream.ts';

/** An upstream being linked from the account page: the account, and the session that asked. */
export interface AccountLinkTarget {
  accountId: string;
  /** The session's uid (not its cookie value): the callback must come back to that session. */
  sessionUid: string;
}

export interface UpstreamAttempt {
  /** The interaction this attempt belongs to; empty when it links from the account page. */
  uid: string;
  /** The upstream's id. */
  upstream: string;
  redirectUri: string;
  nonce: string;
  codeVerifier: string;
  /** Set when the attempt links an upstream to a signed-in account instead of signing in. */
  accountLink?: AccountLinkTarget;
}

export interface PendingLink {
  identity: UpstreamIdentity;
  /** The existing account whose email the upstream identity carries. */
  accountId: string;
}

const STATE = /^[A-Za-z0-9_-]{43}$/;
export const ATTEMPT_TTL_SECONDS = 10 * 60;

/**
 * Records written by an earlier version name the upstream `provider`; they live at most
 * ATTEMPT_TTL_SECONDS, so this only bridges a sign-in that spans an upgrade.
 */
function named<T extends { upstream: string }>(record: T): T {
  const { provider, ...rest } = record as T & { provider?: string };
  return provider === undefined ? record : ({ ...rest, upstream: provider } as unknown as T);
}

const random = () => randomBytes(32).toString('base64url');

export class UpstreamAttempts {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #stateKey(state: string) {
    return `${this.#prefix}federation:state:${state}`;
  }

  #linkKey(uid: string) {
    return `${this.#prefix}federation:link:${uid}`;
  }

  /** Records a new attempt with fresh random state, nonce and PKCE verifier. */
  async start(
    input: Pick<UpstreamAttempt, 'uid' | 'upstream' | 'redirectUri' | 'accountLink'>,
  ): Promise<UpstreamAttempt & { state: string }> {
    const attempt: UpstreamAttempt = { ...input, nonce: random(), codeVerifier: random() };
    const state = random();
    await this.#redis.set(
      this.#stateKey(state),
      JSON.stringify(attempt),
      'EX',
      ATTEMPT_TTL_SECONDS,
    );
    return { ...attempt, state };
  }

  /** Looks an attempt up without using it (the callback bounce needs its interaction id). */
  async peek(state: string): Promise<UpstreamAttempt | undefined> {
    if (!STATE.test(state)) return undefined;
    const stored = await this.#redis.get(this.#stateKey(state));
    return stored === null ? undefined : named(JSON.parse(stored) as UpstreamAttempt);
  }

  /** Uses an attempt up: a second callback with the same state finds nothing. */
  async take(state: string): Promise<UpstreamAttempt | undefined> {
    if (!STATE.test(state)) return undefined;
    const stored = await this.#redis.getdel(this.#stateKey(state));
    return stored === null ? undefined : named(JSON.parse(stored) as UpstreamAttempt);
  }

  async savePendingLink(uid: string, link: PendingLink): Promise<void> {
    await this.#redis.set(this.#linkKey(uid), JSON.stringify(link), 'EX', ATTEMPT_TTL_SECONDS);
  }

  async pendingLink(uid: string): Promise<PendingLink | undefined> {
    const stored = await this.#redis.get(this.#linkKey(uid));
    if (stored === null) return undefined;
    const link = JSON.parse(stored) as PendingLink;
    return { ...link, identity: named(link.identity) };
  }

  async dropPendingLink(uid: string): Promise<void> {
    await this.#redis.del(this.#linkKey(uid));
  }
}
