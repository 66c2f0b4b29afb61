// Slows password guessing and mass sign-up: every attempt is counted, per email and per source, in
// fixed windows, before its password is judged; once a count is at its limit the attempt is refused.
import { createHash } from 'node:crypto';
import { TooManyAttempts } from './errors.ts';

export interface Counter {
  key: string;
  /** Attempts allowed in one window. */
  limit: number;
}

/** Refused: the wait until the fullest counter's window ends, and that counter's index. */
export type TakeResult =
  | { counted: true }
  | { counted: false; retryAfterMs: number; refusedBy?: number };

/** What a refused attempt was. */
export type ThrottleCheck = 'password' | 'code' | 'sign_up' | 'mail';
/**
 * Which count was full: the account's (it is locked until the window ends), the client
 * address's, or the mail address's.
 */
export type ThrottleCounter = 'account' | 'source' | 'address';

/** Told of every attempt the throttle refuses (metrics). */
export interface ThrottleObserver {
  refused(check: ThrottleCheck, counter: ThrottleCounter): void;
}

type Named = Counter & { counter: ThrottleCounter };

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
  /** Mails about one address (confirmation and reset links, notices) per hour; default 5. */
  mailsPerAddress?: number;
  /** Requests for a link (forgot password, resend) per source per hour; default 30. */
  linkRequestsPerSource?: number;
  /** One-time codes (TOTP, recovery) checked per account in one window; default 5. */
  codesPerAccount?: number;
}

const MAIL_WINDOW_SECONDS = 3600;
const DEFAULT_MAILS_PER_ADDRESS = 5;
const DEFAULT_LINK_REQUESTS_PER_SOURCE = 30;
const DEFAULT_CODES_PER_ACCOUNT = 5;

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
  readonly #observer: ThrottleObserver | undefined;

  constructor(
    counter: AttemptCounter,
    limits: ThrottleLimits = DEFAULT_LIMITS,
    observer?: ThrottleObserver,
  ) {
    this.#counter = counter;
    this.#limits = limits;
    this.#observer = observer;
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

  #mailKey(email: string) {
    return `mail:address:${digest(email.toLowerCase())}`;
  }

  #linkKey(source: string) {
    return `links:source:${digest(source)}`;
  }

  #codeKey(accountId: string) {
    return `code:account:${digest(accountId)}`;
  }

  async #take(
    check: ThrottleCheck,
    counters: Named[],
    windowSeconds = this.#limits.windowSeconds,
  ): Promise<void> {
    const result = await this.#counter.take(counters, windowSeconds);
    if (result.counted) return;
    const full = counters[result.refusedBy ?? 0] ?? counters[0];
    if (full) this.#observer?.refused(check, full.counter);
    throw new TooManyAttempts(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
  }

  /**
   * Counts a password check for `email` from `source` before it happens; throws TooManyAttempts
   * (and counts nothing) once either is at its limit. Follow with `passwordAccepted` or
   * `passwordNotChecked`; a wrong password simply stays counted.
   */
  async countPasswordCheck(email: string, source: string): Promise<void> {
    await this.#take('password', [
      { key: this.#accountKey(email), limit: this.#limits.perAccount, counter: 'account' },
      { key: this.#sourceKey(source), limit: this.#limits.perSource, counter: 'source' },
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

  /**
   * Counts a one-time code check for the account from `source` before the code is looked at;
   * throws TooManyAttempts (counting nothing) once either is at its limit. Follow with
   * `codeAccepted` or `codeNotChecked`; a wrong code stays counted.
   */
  async countCodeCheck(accountId: string, source: string): Promise<void> {
    await this.#take('code', [
      {
        key: this.#codeKey(accountId),
        limit: this.#limits.codesPerAccount ?? DEFAULT_CODES_PER_ACCOUNT,
        counter: 'account',
      },
      { key: this.#sourceKey(source), limit: this.#limits.perSource, counter: 'source' },
    ]);
  }

  /** The right code: the account's count starts over and the source gets its attempt back. */
  async codeAccepted(accountId: string, source: string): Promise<void> {
    await Promise.all([
      this.#counter.reset(this.#codeKey(accountId)),
      this.#counter.giveBack([this.#sourceKey(source)]),
    ]);
  }

  /** The code was never judged (a store failed): the attempt is taken back. */
  async codeNotChecked(accountId: string, source: string): Promise<void> {
    await this.#counter.giveBack([this.#codeKey(accountId), this.#sourceKey(source)]);
  }

  /** Counts a sign-up attempt from `source`; throws once the source is at its limit. */
  async countSignUp(source: string): Promise<void> {
    await this.#take('sign_up', [
      { key: this.#signUpKey(source), limit: this.#limits.signUpsPerSource, counter: 'source' },
    ]);
  }

  /** The sign-up created nothing because hashing was busy: the attempt is taken back. */
  async signUpNotAttempted(source: string, email?: string): Promise<void> {
    await this.#counter.giveBack([
      this.#signUpKey(source),
      ...(email === undefined ? [] : [this.#mailKey(email)]),
    ]);
  }

  /**
   * Counts a mail about `email` (and, when a person asked for it, a link request from `source`)
   * before anything is looked up, whether or not the address has an account, so the answer never
   * depends on it; throws TooManyAttempts once either is at its hourly limit.
   */
  async countMail(email: string, source?: string): Promise<void> {
    await this.#take(
      'mail',
      [
        {
          key: this.#mailKey(email),
          limit: this.#limits.mailsPerAddress ?? DEFAULT_MAILS_PER_ADDRESS,
          counter: 'address',
        },
        ...(source === undefined
          ? []
          : [
              {
                key: this.#linkKey(source),
                limit: this.#limits.linkRequestsPerSource ?? DEFAULT_LINK_REQUESTS_PER_SOURCE,
                counter: 'source' as const,
              },
            ]),
      ],
      MAIL_WINDOW_SECONDS,
    );
  }
}
