// Password rules (NIST SP 800-63B: length, no common or personal passwords, no composition rules)
// and bcrypt hashing without silent truncation, on Unicode-normalised (NFKC) passwords, with a
// bounded queue in front of the thread pool.
import bcrypt from 'bcrypt';
import { isCommonPassword, isPersonalPassword } from './common-passwords.ts';
import { type FieldProblem, HashingBusy, problem } from './errors.ts';

export const MIN_PASSWORD_CHARS = 8;
/** bcrypt reads at most 72 bytes; longer secrets would be silently cut, so they are refused. */
export const MAX_PASSWORD_BYTES = 72;

/**
 * The form passwords are checked and hashed in (NIST SP 800-63B §5.1.1.2): NFKC, so a letter typed
 * composed or decomposed, or a full-width character, is the same password on every keyboard.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Returns the rule the password breaks, or undefined when it is acceptable: long enough, short
 * enough for bcrypt, not on the list of common passwords and not made of the person's own email or
 * name (`person`, when known).
 */
export function passwordProblem(
  password: string,
  email?: string,
  name?: string,
): FieldProblem | undefined {
  const normalized = normalizePassword(password);
  const chars = [...normalized].length;
  if (chars < MIN_PASSWORD_CHARS) {
    return problem('password.too_short', { min: MIN_PASSWORD_CHARS });
  }
  if (!fitsBcrypt(normalized)) {
    return problem('password.too_long', { max: MAX_PASSWORD_BYTES });
  }
  const lowered = normalized.toLowerCase();
  if (email !== undefined && lowered === email.toLowerCase()) {
    return problem('password.is_email');
  }
  if (isCommonPassword(normalized)) {
    return problem('password.common');
  }
  if (isPersonalPassword(normalized, { email, name })) {
    return problem('password.personal');
  }
  return undefined;
}

export function fitsBcrypt(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}

/** Told how the hashing queue fares (metrics): its length, each wait, each refusal. */
export interface HashingObserver {
  /** The number of operations waiting changed to `waiting`. */
  queued(waiting: number): void;
  /** An operation started after waiting this long (0 when a slot was free). */
  waited(seconds: number): void;
  /** An operation was refused because the queue was full. */
  refused(): void;
}

/**
 * Lets at most `limit` tasks run at once and at most `queueLimit` wait, in arrival order; a task
 * arriving at a full queue is refused at once with HashingBusy rather than waiting without end.
 */
class Gate {
  readonly #limit: number;
  readonly #queueLimit: number;
  readonly #observer: HashingObserver | undefined;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  /** Moving average of a task's duration, for the Retry-After of a refusal. */
  #averageMs = 0;

  constructor(limit: number, queueLimit: number, observer?: HashingObserver) {
    this.#limit = limit;
    this.#queueLimit = queueLimit;
    this.#observer = observer;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const arrived = performance.now();
    if (this.#running >= this.#limit) {
      if (this.#waiting.length >= this.#queueLimit) {
        this.#observer?.refused();
        throw new HashingBusy(this.#drainSeconds());
      }
      await new Promise<void>((resolve) => {
        this.#waiting.push(resolve);
        this.#observer?.queued(this.#waiting.length);
      });
    } else {
      this.#running += 1;
    }
    const started = performance.now();
    this.#observer?.waited((started - arrived) / 1000);
    try {
      return await task();
    } finally {
      const ms = performance.now() - started;
      this.#averageMs = this.#averageMs === 0 ? ms : this.#averageMs * 0.8 + ms * 0.2;
      const next = this.#waiting.shift();
      if (next) {
        this.#observer?.queued(this.#waiting.length);
        next();
      } else this.#running -= 1;
    }
  }

  /** Roughly how long the work already admitted takes to finish, in whole seconds (at least 1). */
  #drainSeconds(): number {
    const queued = this.#running + this.#waiting.length;
    return Math.max(1, Math.ceil((queued * this.#averageMs) / this.#limit / 1000));
  }
}

/**
 * bcrypt runs on libuv's thread pool (4 threads by default), which token signing also uses: a burst
 * of sign-ins must not stall every token response, so only this many hashes run at once.
 */
export const BCRYPT_CONCURRENCY = 2;

/** About how long one bcrypt operation takes at cost 12 on one server core (each step doubles it). */
const BCRYPT_MS_AT_COST_12 = 250;
/** The longest a password check should wait in the queue before it starts. */
const QUEUE_WAIT_BUDGET_MS = 2000;

/**
 * The default bound of the hashing queue for a cost: as many checks as the running ones finish
 * within QUEUE_WAIT_BUDGET_MS, so the last one queued waits about 2 s (16 at cost 12, 64 at 10),
 * from 4 to 256.
 */
export function defaultHashingQueueLimit(cost: number): number {
  const msPerOperation = BCRYPT_MS_AT_COST_12 * 2 ** (cost - 12);
  const fits = Math.floor((QUEUE_WAIT_BUDGET_MS * BCRYPT_CONCURRENCY) / msPerOperation);
  return Math.min(256, Math.max(4, fits));
}

/** What a password check found. */
export interface Verdict {
  ok: boolean;
  /** The stored hash should be replaced: made at another cost, or from the un-normalised form. */
  rehash: boolean;
}

/**
 * bcrypt at a configured cost, behind a gate of BCRYPT_CONCURRENCY running and `queueLimit`
 * waiting operations; HashingBusy when the queue is full.
 */
export class PasswordHasher {
  readonly #cost: number;
  readonly #gate: Gate;
  #dummy: Promise<string> | undefined;

  constructor(
    cost: number,
    queueLimit: number = Number.POSITIVE_INFINITY,
    observer?: HashingObserver,
  ) {
    this.#cost = cost;
    this.#gate = new Gate(BCRYPT_CONCURRENCY, queueLimit, observer);
  }

  /** Hashes the normalised form; throws RangeError when it is longer than bcrypt reads. */
  async hash(password: string): Promise<string> {
    const normalized = normalizePassword(password);
    if (!fitsBcrypt(normalized)) throw new RangeError('password longer than bcrypt accepts');
    return this.#gate.run(() => bcrypt.hash(normalized, this.#cost));
  }

  /**
   * Checks `password` against `hash`, or against a dummy hash when there is none (unknown email,
   * account without a password), so both cost the same comparisons and timing reveals nothing.
   * The normalised form is tried first; a hash made before normalisation (from the raw form) is
   * tried only when the raw form differs, and then asks for a rehash.
   */
  async verify(password: string, hash: string | null): Promise<Verdict> {
    const candidates = this.#candidates(password);
    return this.#gate.run(async () => {
      const against = hash ?? (await this.#dummyHash());
      for (const [i, candidate] of candidates.entries()) {
        if ((await bcrypt.compare(candidate, against)) && hash !== null) {
          return { ok: true, rehash: i > 0 || bcrypt.getRounds(hash) !== this.#cost };
        }
      }
      return { ok: false, rehash: false };
    });
  }

  /** The forms to compare, which depend only on what was typed; never none. */
  #candidates(password: string): string[] {
    const normalized = normalizePassword(password);
    const forms = [normalized, ...(normalized === password ? [] : [password])].filter(fitsBcrypt);
    // A password too long for bcrypt matches nothing but still costs one comparison.
    return forms.length > 0 ? forms : ['latchkey-too-long-for-bcrypt'];
  }

  // Made once, inside a gate slot already held, so it is never refused by a full queue.
  #dummyHash(): Promise<string> {
    this.#dummy ??= bcrypt.hash('latchkey-timing-equaliser', this.#cost).catch((error) => {
      this.#dummy = undefined;
      throw error;
    });
    return this.#dummy;
  }
}
