// Slows password guessing and mass sign-up: every attempt is counted, per email and per source, in
// fixed windows, before its password is judged; once a count is at its limit the attempt is refused.
import { createHash } from 'node:crypto';
import { TooManyAttempts } from './errors.ts';

export interface Counter {
  key: string;
  /** Attempts allowed in one window. */
  limit: number;
}

export type TakeResult = { counted: true } | { counted: false; retryAfterMs: number };

export interface AttemptCounter {
  /**
   * Counts one attempt in every counter, or in none when any of them is already at its limit;
   * atomic, so concurrent attempts can never be counted past a limit. A window starts with the
   * first attempt counted in it.
   */
  take(counters: readonly Counter[], windowSeconds: number): Promise<TakeResult>;
  /** Takes back one counted attempt from each key (never below zero). */
  giveBack(keys: readonly string[]): Promise<void>;
  reset(key: string): Promise<void>;
}

export interface ThrottleLimits {
  /** Password checks allowed per email address in one window (a success clears the count). */
  perAccount: number;
  /** Failed password checks allowed per source (client address) in one window. */
  perSource: number;
  /** Sign-ups allowed per source in one window. */
  signUpsPerSource: number;
  windowSeconds: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = {
  perAccount: 10,
  perSource: 100,
  signUpsPerSource: 20,
  windowSeconds: 900,
};

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

export class LoginThrottle {
  readonly #counter: AttemptCounter;
  readonly #limits: ThrottleLimits;

  constructor(counter: AttemptCounter, limits: ThrottleLimits = DEFAULT_LIMITS) {
    this.#counter = counter;
    this.#limits = limits;
  }

  // Emails are hashed so the counter store never holds them in clear.
  #accountKey(email: string) {
    return `login:account:${digest(email.toLowerCase())}`;
  }

  #sourceKey(source: string) {
    return `login:source:${digest(source)}`;
  }

  #signUpKey(source: string) {
    return `signup:source:${digest(source)}`;
  }

  async #take(counters: Counter[]): Promise<void> {
    const result = await this.#counter.take(counters, this.#limits.windowSeconds);
    if (!result.counted)
      throw new TooManyAttempts(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
  }

  /**
   * Counts a password check for `email` from `source` before it happens; throws TooManyAttempts
   * (and counts nothing) once either is at its limit. Follow with `passwordAccepted` or
   * `passwordNotChecked`; a wrong password simply stays counted.
   */
  async countPasswordCheck(email: string, source: string): Promise<void> {
    await this.#take([
      { key: this.#accountKey(email), limit: this.#limits.perAccount },
      { key: this.#sourceKey(source), limit: this.#limits.perSource },
    ]);
  }

  /**
   * The right password: the email's count starts over, and the source gets its attempt back, so
   * the source count holds only failures (and checks in flight).
   */
  async passwordAccepted(email: string, source: string): Promise<void> {
    await Promise.all([
      this.#counter.reset(this.#accountKey(email)),
      this.#counter.giveBack([this.#sourceKey(source)]),
    ]);
  }

  /** The password was never judged (e.g. hashing was busy): the attempt is taken back. */
  async passwordNotChecked(email: string, source: string): Promise<void> {
    await this.#counter.giveBack([this.#accountKey(email), this.#sourceKey(source)]);
  }

  /** Counts a sign-up attempt from `source`; throws once the source is at its limit. */
  async countSignUp(source: string): Promise<void> {
    await this.#take([{ key: this.#signUpKey(source), limit: this.#limits.signUpsPerSource }]);
  }

  /** The sign-up created nothing because hashing was busy: the attempt is taken back. */
  async signUpNotAttempted(source: string): Promise<void> {
    await this.#counter.giveBack([this.#signUpKey(source)]);
  }
}
