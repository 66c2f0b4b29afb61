// Slows password guessing and mass sign-up: attempts are counted per email and per source, in
// fixed windows.
import { createHash } from 'node:crypto';
import { TooManyAttempts } from './errors.ts';

export interface AttemptCounter {
  /** Failures recorded in the current window and the seconds left in it. */
  get(key: string): Promise<{ count: number; retryAfterSeconds: number }>;
  /** Adds one failure; the window starts with the first failure. */
  increment(key: string, windowSeconds: number): Promise<number>;
  reset(key: string): Promise<void>;
}

export interface ThrottleLimits {
  /** Failed sign-ins allowed per email address in one window. */
  perAccount: number;
  /** Failed sign-ins allowed per source (client address) in one window. */
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

  /** Throws TooManyAttempts when either the email or the source is over its limit. */
  async assertAllowed(email: string, source: string): Promise<void> {
    const [account, from] = await Promise.all([
      this.#counter.get(this.#accountKey(email)),
      this.#counter.get(this.#sourceKey(source)),
    ]);
    const blocked = [
      account.count >= this.#limits.perAccount ? account.retryAfterSeconds : 0,
      from.count >= this.#limits.perSource ? from.retryAfterSeconds : 0,
    ];
    const wait = Math.max(...blocked);
    if (wait > 0) throw new TooManyAttempts(wait);
  }

  async recordFailure(email: string, source: string): Promise<void> {
    await Promise.all([
      this.#counter.increment(this.#accountKey(email), this.#limits.windowSeconds),
      this.#counter.increment(this.#sourceKey(source), this.#limits.windowSeconds),
    ]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.#counter.reset(this.#accountKey(email));
  }

  /** Counts a sign-up attempt from `source`; throws once the source is over its limit. */
  async countSignUp(source: string): Promise<void> {
    const key = `signup:source:${digest(source)}`;
    const { count, retryAfterSeconds } = await this.#counter.get(key);
    if (count >= this.#limits.signUpsPerSource) throw new TooManyAttempts(retryAfterSeconds);
    await this.#counter.increment(key, this.#limits.windowSeconds);
  }
}
