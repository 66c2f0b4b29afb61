// What the rest of Latchkey may record about itself: one small interface, with a version that
// records nothing when metrics are off. Only metrics/prometheus.ts knows prom-client.

import type { ThrottleObserver } from '../accounts/login-throttle.ts';
import type { HashingObserver } from '../accounts/passwords.ts';

/** How a sign-in attempt ended, for the sign-in success rate. */
export type SignInOutcome =
  /** Signed in (every step done). */
  | 'success'
  /** Refused because of what was presented: a wrong password, an unknown passkey, a denial. */
  | 'failure'
  /** Refused by the throttle before anything was judged. */
  | 'throttled'
  /** Not judged because something was busy or down (hashing queue, a store, an upstream). */
  | 'unavailable'
  /** Failed on our side. */
  | 'error';

export type UpstreamStep = 'authorize' | 'complete';
export type UpstreamOutcome = 'success' | 'denied' | 'rejected' | 'unavailable' | 'error';
export type BackchannelOutcome = 'delivered' | 'retried' | 'failed';
/** A code or token presented again after it was used: the grant behind it is revoked. */
export type ReuseKind = 'refresh_token' | 'authorization_code' | 'device_code';

/** A pg pool's counts, read when metrics are scraped. */
export interface PoolState {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface Metrics {
  /** False when nothing is recorded (no listener and no token configured). */
  readonly enabled: boolean;
  /**
   * One answered HTTP request. `route` is a route template (`/interaction/:uid/login`) or a fixed
   * name, never a raw path, so the label set stays bounded.
   */
  request(route: string, method: string, status: number, seconds: number): void;
  /** A sign-in ended; `method` is how the person proved who they are (password, passkey, google...). */
  signIn(method: string, outcome: SignInOutcome): void;
  /** An account was created; `method` as for signIn. */
  signUp(method: string): void;
  readonly throttle: ThrottleObserver;
  readonly hashing: HashingObserver;
  upstreamCall(
    upstream: string,
    step: UpstreamStep,
    outcome: UpstreamOutcome,
    seconds: number,
  ): void;
  backchannel(outcome: BackchannelOutcome): void;
  tokenIssued(grantType: string): void;
  tokenRefused(grantType: string, error: string): void;
  tokenReuse(kind: ReuseKind): void;
  redisCommand(command: string, failed: boolean, seconds: number): void;
  postgresQuery(operation: string, failed: boolean, seconds: number): void;
  /** Reports a Postgres pool's connections and queue when scraped; `max` is its size. */
  watchPool(pool: () => PoolState, max: number): void;
  /** The Prometheus text exposition of every metric. */
  exposition(): Promise<{ contentType: string; body: string }>;
}

const nothing = () => {};

/** Metrics off: every call does nothing. */
export const NO_METRICS: Metrics = {
  enabled: false,
  request: nothing,
  signIn: nothing,
  signUp: nothing,
  throttle: { refused: nothing },
  hashing: { queued: nothing, waited: nothing, refused: nothing },
  upstreamCall: nothing,
  backchannel: nothing,
  tokenIssued: nothing,
  tokenRefused: nothing,
  tokenReuse: nothing,
  redisCommand: nothing,
  postgresQuery: nothing,
  watchPool: nothing,
  exposition: async () => ({ contentType: 'text/plain; charset=utf-8', body: '' }),
};
