// Slows guessing of device user codes: every code looked up is counted, per browser session and
// per source address, before it is judged; a code that matched a request is given back, so only
// wrong codes stay counted. Once either count is at its limit the lookup is refused.
import { createHash } from 'node:crypto';
import { TooManyAttempts } from '../accounts/errors.ts';
import type { AttemptCounter } from '../accounts/login-throttle.ts';

export interface UserCodeLimits {
  /** Wrong codes allowed per browser session in one window. */
  perSession: number;
  /** Wrong codes allowed per source address in one window (QR lookups included). */
  perSource: number;
  windowSeconds: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Who is typing codes: their session (when they have one) and their address. */
export interface CodeEntrant {
  session?: string | undefined;
  source: string;
}

export class UserCodeThrottle {
  readonly #counter: AttemptCounter;
  readonly #limits: UserCodeLimits;

  constructor(counter: AttemptCounter, limits: UserCodeLimits) {
    this.#counter = counter;
    this.#limits = limits;
  }

  #counters(who: CodeEntrant) {
    return [
      { key: `usercode:source:${digest(who.source)}`, limit: this.#limits.perSource },
      ...(who.session
        ? [{ key: `usercode:session:${digest(who.session)}`, limit: this.#limits.perSession }]
        : []),
    ];
  }

  /** Counts one lookup before it happens; throws TooManyAttempts (counting nothing) at a limit. */
  async count(who: CodeEntrant): Promise<void> {
    const result = await this.#counter.take(this.#counters(who), this.#limits.windowSeconds);
    if (!result.counted) {
      throw new TooManyAttempts(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
    }
  }

  /** The code matched a request (or was never judged): the lookup is taken back. */
  async notWrong(who: CodeEntrant): Promise<void> {
    await this.#counter.giveBack(this.#counters(who).map((c) => c.key));
  }
}
