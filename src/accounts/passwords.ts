// Password rules (length only, NIST SP 800-63B style) and bcrypt hashing without silent truncation.
import bcrypt from 'bcrypt';

export const MIN_PASSWORD_CHARS = 8;
/** bcrypt reads at most 72 bytes; longer secrets would be silently cut, so they are refused. */
export const MAX_PASSWORD_BYTES = 72;

// The most common passwords of 8+ characters in public breach lists; refused outright.
const COMMON_PASSWORDS = new Set([
  '12345678',
  '123456789',
  '1234567890',
  '12345678910',
  '11111111',
  '00000000',
  '87654321',
  '88888888',
  '11223344',
  '12341234',
  '123123123',
  '987654321',
  'password',
  'password1',
  'password12',
  'password123',
  'password!',
  'passw0rd',
  'p@ssw0rd',
  'p@ssword',
  'qwertyui',
  'qwertyuiop',
  'qwerty123',
  'qwerty12',
  '1q2w3e4r',
  '1q2w3e4r5t',
  '1qaz2wsx',
  'zaq12wsx',
  'asdfghjk',
  'asdfghjkl',
  'zxcvbnm1',
  'iloveyou',
  'iloveyou1',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'welcome1',
  'welcome123',
  'abc12345',
  'abcd1234',
  'abcdefgh',
  'letmein1',
  'trustno1',
  'superman',
  'starwars',
  'whatever',
  'changeme',
  'computer',
  'internet',
  'michelle',
  'jennifer',
  'corvette',
  'mercedes',
  'liverpool',
  'chocolate',
  'butterfly',
  'football1',
  'aa123456',
  'admin123',
  'administrator',
  'qazwsxedc',
  'q1w2e3r4',
  'q1w2e3r4t5',
  'monkey123',
  'dragon123',
  'master123',
  'shadow123',
]);

/** Returns a message for the person choosing the password, or undefined when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | undefined {
  const chars = [...password].length;
  if (chars < MIN_PASSWORD_CHARS) {
    return `Use at least ${MIN_PASSWORD_CHARS} characters.`;
  }
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    return `Use at most ${MAX_PASSWORD_BYTES} bytes (about ${MAX_PASSWORD_BYTES} letters, fewer with accents or emoji); longer passwords cannot be stored safely.`;
  }
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) {
    return 'This password is one of the most commonly used; choose another.';
  }
  if (email !== undefined && lowered === email.toLowerCase()) {
    return 'Your password must not be your email address.';
  }
  return undefined;
}

export function fitsBcrypt(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}

/** Lets at most `limit` tasks run at once; the others wait in arrival order. */
class Gate {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }
}

/**
 * bcrypt runs on libuv's thread pool (4 threads by default), which token signing also uses: a burst
 * of sign-ins must not stall every token response, so only this many hashes run at once.
 */
export const BCRYPT_CONCURRENCY = 2;

/** bcrypt at a configured cost; `burn` spends the same time as a real check for unknown accounts. */
export class PasswordHasher {
  readonly #cost: number;
  readonly #gate = new Gate(BCRYPT_CONCURRENCY);
  #dummy: Promise<string> | undefined;

  constructor(cost: number) {
    this.#cost = cost;
  }

  hash(password: string): Promise<string> {
    if (!fitsBcrypt(password)) throw new RangeError('password longer than bcrypt accepts');
    return this.#gate.run(() => bcrypt.hash(password, this.#cost));
  }

  async verify(password: string, hash: string): Promise<boolean> {
    if (!fitsBcrypt(password)) {
      await this.burn();
      return false;
    }
    return this.#gate.run(() => bcrypt.compare(password, hash));
  }

  /** Costs one bcrypt comparison at the configured cost; always false. */
  async burn(): Promise<false> {
    this.#dummy ??= this.#gate.run(() => bcrypt.hash('latchkey-timing-equaliser', this.#cost));
    const dummy = await this.#dummy;
    await this.#gate.run(() => bcrypt.compare('not-the-password', dummy));
    return false;
  }

  /** True when a stored hash was made at another cost and should be replaced. */
  needsRehash(hash: string): boolean {
    return bcrypt.getRounds(hash) !== this.#cost;
  }
}
