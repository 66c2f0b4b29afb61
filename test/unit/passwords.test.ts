// Password rules and bcrypt hashing: length in characters, a byte ceiling, no silent truncation,
// Unicode normalisation and a bounded queue.
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { HashingBusy } from '../../src/accounts/errors.ts';
import {
  defaultHashingQueueLimit,
  fitsBcrypt,
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_CHARS,
  normalizePassword,
  PasswordHasher,
  passwordProblem as passwordRule,
} from '../../src/accounts/passwords.ts';
import { problemWords } from '../../src/http/map-error.ts';

/** The rule a password breaks, in the English words the edge shows for it. */
const passwordProblem = (password: string, email?: string, name?: string) => {
  const problem = passwordRule(password, email, name);
  return problem && problemWords(problem);
};

const TOO_SHORT = 'Use at least 8 characters.';
const TOO_LONG =
  'Use at most 72 bytes (about 72 letters, fewer with accents or emoji); longer passwords cannot be stored safely.';
const COMMON =
  'This password appears in lists of leaked and commonly used passwords, which attackers try first; choose another.';
const PERSONAL =
  'Your password is made from your email address or name, which is easy to guess; choose another.';
const IS_EMAIL = 'Your password must not be your email address.';

/** How many bcrypt comparisons `work` made. */
async function countingComparisons(work: () => Promise<void>): Promise<number> {
  const original = bcrypt.compare;
  let count = 0;
  Object.assign(bcrypt, {
    compare: (...args: Parameters<typeof original>) => {
      count += 1;
      return (original as (...a: unknown[]) => unknown).apply(bcrypt, args);
    },
  });
  try {
    await work();
  } finally {
    Object.assign(bcrypt, { compare: original });
  }
  return count;
}

/** Resolves to the error hash() raised, whether it threw at once or rejected later. */
async function hashError(hasher: PasswordHasher, password: string): Promise<unknown> {
  try {
    await hasher.hash(password);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('passwordProblem', () => {
  it('names the broken rule by code, with the limit it states', () => {
    expect(passwordRule('short')).to.deep.equal({
      code: 'password.too_short',
      params: { min: MIN_PASSWORD_CHARS },
    });
    expect(passwordRule('a'.repeat(73))).to.deep.equal({
      code: 'password.too_long',
      params: { max: MAX_PASSWORD_BYTES },
    });
    expect(passwordRule('password')).to.deep.equal({ code: 'password.common' });
  });

  it('sets the limits at 8 characters and 72 bytes', () => {
    expect(MIN_PASSWORD_CHARS).to.equal(8);
    expect(MAX_PASSWORD_BYTES).to.equal(72);
  });

  describe('length in characters', () => {
    it('refuses seven characters and accepts eight', () => {
      expect(passwordProblem('tuvwxyz')).to.equal(TOO_SHORT);
      expect(passwordProblem('stuvwxyz')).to.equal(undefined);
    });

    it('refuses the empty password', () => {
      expect(passwordProblem('')).to.equal(TOO_SHORT);
    });

    it('counts an emoji as one character, not as its two UTF-16 units', () => {
      // Seven emoji are 14 UTF-16 units but still only seven characters.
      expect('🔑🔑🔑🔑🔑🔑🔑'.length).to.equal(14);
      expect(passwordProblem('🔑🔑🔑🔑🔑🔑🔑')).to.equal(TOO_SHORT);
      expect(passwordProblem('🔑🔑🔑🔑🔑🔑🔑🔑')).to.equal(undefined);
    });

    it('counts an accented letter as one character', () => {
      expect(passwordProblem('ééééééé')).to.equal(TOO_SHORT);
      expect(passwordProblem('éééééééé')).to.equal(undefined);
    });
  });

  describe('no composition rules', () => {
    it('accepts a long lowercase passphrase without digits or symbols', () => {
      expect(passwordProblem('correct horse battery staple')).to.equal(undefined);
    });

    it('accepts a password of digits only when it is not a common one', () => {
      expect(passwordProblem('90417263')).to.equal(undefined);
    });
  });

  describe('the 72-byte ceiling', () => {
    it('accepts exactly 72 ASCII characters and refuses 73', () => {
      expect(passwordProblem('a'.repeat(72))).to.equal(undefined);
      expect(passwordProblem('a'.repeat(73))).to.equal(TOO_LONG);
    });

    it('refuses 40 accented letters: only 40 characters, but 80 bytes', () => {
      const password = 'é'.repeat(40);
      expect([...password]).to.have.length(40);
      expect(Buffer.byteLength(password, 'utf8')).to.equal(80);
      expect(passwordProblem(password)).to.equal(TOO_LONG);
    });

    it('accepts 18 four-byte emoji (72 bytes) and refuses 19', () => {
      expect(passwordProblem('🔑'.repeat(18))).to.equal(undefined);
      expect(passwordProblem('🔑'.repeat(19))).to.equal(TOO_LONG);
    });

    it('agrees with fitsBcrypt at the boundary', () => {
      expect(fitsBcrypt('a'.repeat(72))).to.equal(true);
      expect(fitsBcrypt(`${'a'.repeat(71)}é`)).to.equal(false);
    });
  });

  describe('common passwords', () => {
    it('refuses them whatever the case', () => {
      for (const password of ['password', 'PASSWORD', 'Password1', 'QwErTyUiOp', '12345678']) {
        expect(passwordProblem(password), password).to.equal(COMMON);
      }
    });

    it('accepts a common word once it is part of something longer', () => {
      expect(passwordProblem('password manager on my phone')).to.equal(undefined);
    });

    it('refuses passwords from the breach list beyond the best known', () => {
      for (const password of ['passwordpassword', 'iloveyou2', 'trustno1', 'qwertyuiop123']) {
        expect(passwordProblem(password), password).to.equal(COMMON);
      }
    });

    it('refuses a listed password with a number or symbols added at the end', () => {
      for (const password of ['sunshine2024', 'Sunshine2024!', 'passwordpassword1', 'football!!']) {
        expect(passwordProblem(password), password).to.equal(COMMON);
      }
    });

    it('accepts passphrases that are on no list', () => {
      for (const password of [
        'correct horse battery staple',
        'a-long-unique-passphrase',
        '90417263',
      ]) {
        expect(passwordProblem(password), password).to.equal(undefined);
      }
    });
  });

  describe('passwords made of the email or name', () => {
    const email = 'maria.garcia@ejemplo.es';
    const name = 'María José Garcia';

    it('refuses the email local part, its words and the domain, with or without a number', () => {
      for (const password of [
        'mariagarcia',
        'Maria.Garcia',
        'garcia2024!',
        'ejemplo123',
        'garciagarcia',
      ]) {
        expect(passwordProblem(password, email), password).to.equal(PERSONAL);
      }
    });

    it('refuses the name and its words, repeated or followed by a number', () => {
      for (const password of [
        'María José Garcia',
        'mariajosegarcia1',
        'josejosejose',
        'María1990',
      ]) {
        expect(passwordProblem(password, 'someone@example.com', name), password).to.equal(PERSONAL);
      }
    });

    it('accepts passwords that only contain a piece of them among other words', () => {
      expect(passwordProblem('garcia likes long walks', email, name)).to.equal(undefined);
      expect(passwordProblem('my name is not a secret', email, name)).to.equal(undefined);
    });

    it('ignores pieces too short to mean anything', () => {
      expect(passwordProblem('jojojojojo', 'jo@ab.io', 'Jo Li')).to.equal(undefined);
    });
  });

  describe('the email address as password', () => {
    it('is refused, whatever the case', () => {
      expect(passwordProblem('Ada@Example.com', 'ada@example.com')).to.equal(IS_EMAIL);
      expect(passwordProblem('ada@example.com', 'ADA@EXAMPLE.COM')).to.equal(IS_EMAIL);
    });

    it('is only compared when an email is known', () => {
      expect(passwordProblem('ada@example.com')).to.equal(undefined);
      expect(passwordProblem('ada@example.com', 'bob@example.com')).to.equal(undefined);
    });
  });
});

describe('PasswordHasher (cost 4)', () => {
  const hasher = new PasswordHasher(4);
  const accepts = async (password: string, hash: string) =>
    (await hasher.verify(password, hash)).ok;

  it('verifies the password it hashed', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).to.match(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(await accepts('correct horse battery staple', hash)).to.equal(true);
  });

  it('salts every hash, so the same password never hashes the same twice', async () => {
    const first = await hasher.hash('correct horse battery staple');
    const second = await hasher.hash('correct horse battery staple');
    expect(first).to.not.equal(second);
  });

  it('rejects a wrong password, including one differing only in case', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(await accepts('correct horse battery stapler', hash)).to.equal(false);
    expect(await accepts('Correct horse battery staple', hash)).to.equal(false);
  });

  it('verifies non-ASCII passwords byte for byte', async () => {
    const hash = await hasher.hash('mot de passe: çà et là 🔑');
    expect(await accepts('mot de passe: çà et là 🔑', hash)).to.equal(true);
    expect(await accepts('mot de passe: ca et la 🔑', hash)).to.equal(false);
  });

  it('refuses to hash a password over 72 bytes instead of cutting it short', async () => {
    const error = await hashError(hasher, 'a'.repeat(73));
    expect(error).to.be.instanceOf(RangeError);
    expect((error as Error).message).to.equal('password longer than bcrypt accepts');
    const accented = await hashError(hasher, 'é'.repeat(40));
    expect(accented).to.be.instanceOf(RangeError);
  });

  it('never verifies a password over 72 bytes, even one that starts with the real password', async () => {
    const stored = 'x'.repeat(72);
    const hash = await hasher.hash(stored);
    expect(await accepts(stored, hash)).to.equal(true);
    expect(await accepts(`${stored}y`, hash)).to.equal(false);
    expect(await accepts(`${stored}${'y'.repeat(100)}`, hash)).to.equal(false);
  });

  it('does not treat two passwords sharing their first 72 bytes as the same', async () => {
    const prefix = 'p'.repeat(71);
    const hash = await hasher.hash(`${prefix}A`);
    // bcrypt alone reads only the first 72 bytes and calls these equal.
    expect(await bcrypt.compare(`${prefix}AB`, hash)).to.equal(true);
    expect(await accepts(`${prefix}A`, hash)).to.equal(true);
    expect(await accepts(`${prefix}AB`, hash)).to.equal(false);
    expect(await accepts(`${prefix}é`, hash)).to.equal(false);
  });

  it('does not end a password at a NUL character', async () => {
    const hash = await hasher.hash('same start\u0000first ending');
    expect(await accepts('same start\u0000first ending', hash)).to.equal(true);
    expect(await accepts('same start\u0000other ending', hash)).to.equal(false);
    expect(await accepts('same start', hash)).to.equal(false);
  });

  it('asks for a rehash only when a stored hash was made at another cost', async () => {
    const atFour = await hasher.hash('correct horse battery staple');
    const atFive = await new PasswordHasher(5).hash('correct horse battery staple');
    expect(await hasher.verify('correct horse battery staple', atFour)).to.deep.equal({
      ok: true,
      rehash: false,
    });
    expect(await hasher.verify('correct horse battery staple', atFive)).to.deep.equal({
      ok: true,
      rehash: true,
    });
    expect(await hasher.verify('wrong horse battery staple', atFive)).to.deep.equal({
      ok: false,
      rehash: false,
    });
  });

  it('answers false for an account without a hash, after the same comparisons as with one', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    for (const typed of ['a wrong password', 'ｆｕｌｌ－ｗｉｄｔｈ ｇｕｅｓｓ', 'x'.repeat(100)]) {
      const counted = await countingComparisons(async () => {
        expect(await hasher.verify(typed, null)).to.deep.equal({ ok: false, rehash: false });
      });
      const real = await countingComparisons(async () => {
        expect(await hasher.verify(typed, hash)).to.deep.equal({ ok: false, rehash: false });
      });
      expect(counted, typed).to.equal(real);
      expect(counted, typed).to.be.greaterThan(0);
    }
  });
});

describe('Unicode normalisation (NFKC)', () => {
  const hasher = new PasswordHasher(4);
  const composed = 'caf\u00e9 au lait chaud';
  const decomposed = 'cafe\u0301 au lait chaud';

  it('normalises composed and decomposed accents and full-width letters to one form', () => {
    expect(composed).not.to.equal(decomposed);
    expect(normalizePassword(decomposed)).to.equal(composed);
    expect(normalizePassword('ｃｏｒｒｅｃｔ ｈｏｒｓｅ')).to.equal('correct horse');
    expect(normalizePassword('\ufb01sh and chips')).to.equal('fish and chips');
  });

  it('accepts a password however its accents were typed', async () => {
    const hash = await hasher.hash(composed);
    expect((await hasher.verify(decomposed, hash)).ok).to.equal(true);
    expect((await hasher.verify(composed, hash)).ok).to.equal(true);
    const fromDecomposed = await hasher.hash(decomposed);
    expect((await hasher.verify(composed, fromDecomposed)).ok).to.equal(true);
  });

  it('accepts full-width characters as their ordinary forms', async () => {
    const hash = await hasher.hash('correct horse 2024');
    expect(await hasher.verify('ｃｏｒｒｅｃｔ ｈｏｒｓｅ ２０２４', hash)).to.deep.equal({
      ok: true,
      rehash: false,
    });
  });

  it('still verifies a hash made from the raw form before normalisation, and asks to rehash it', async () => {
    const legacy = await bcrypt.hash(decomposed, 4);
    expect(await hasher.verify(decomposed, legacy)).to.deep.equal({ ok: true, rehash: true });
    expect((await hasher.verify('cafe\u0301 au lait froid', legacy)).ok).to.equal(false);
    // The replacement hash, of the normalised form, accepts both spellings.
    const rehashed = await hasher.hash(decomposed);
    expect(await hasher.verify(composed, rehashed)).to.deep.equal({ ok: true, rehash: false });
    expect(await hasher.verify(decomposed, rehashed)).to.deep.equal({ ok: true, rehash: false });
  });

  it('applies the length rules to the normalised form', () => {
    // Two ligature characters are six letters once normalised: still too short; three are enough.
    expect(passwordProblem('\ufb03\ufb03')).to.equal(TOO_SHORT);
    expect(passwordProblem('\ufb03\ufb03\ufb03')).to.equal(undefined);
    // Seven decomposed accented letters are 14 code points but seven characters.
    expect(passwordProblem('e\u0301'.repeat(7))).to.equal(TOO_SHORT);
    expect(passwordProblem('e\u0301'.repeat(8))).to.equal(undefined);
    // U+FDFA is 3 bytes typed but expands to 18 letters (33 bytes): three are over 72 bytes.
    expect(Buffer.byteLength('\ufdfa'.repeat(3))).to.equal(9);
    expect(passwordProblem('\ufdfa'.repeat(3))).to.equal(TOO_LONG);
  });

  it('refuses a common password typed in full-width letters', () => {
    expect(passwordProblem('ｐａｓｓｗｏｒｄ')).to.equal(COMMON);
  });
});

describe('the hashing queue', () => {
  it('refuses work beyond the running two and the queue at once, with a wait in seconds', async () => {
    const hasher = new PasswordHasher(8, 3);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, () => hasher.hash('correct horse battery staple')),
    );
    const done = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(done).to.have.length(2 + 3);
    expect(refused).to.have.length(7);
    for (const error of refused) {
      expect(error).to.be.instanceOf(HashingBusy);
      expect((error as HashingBusy).retryAfterSeconds).to.be.at.least(1);
    }
    // The queue drained: new work runs again.
    expect((await hasher.verify('correct horse battery staple', null)).ok).to.equal(false);
  });

  it('with a queue of 0 runs two at a time and refuses a third', async () => {
    const hasher = new PasswordHasher(8, 0);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 3 }, () => hasher.verify('correct horse battery staple', null)),
    );
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected']);
  });

  it('tells its observer the queue length, each wait and each refusal', async () => {
    const lengths: number[] = [];
    const waits: number[] = [];
    let refusals = 0;
    const hasher = new PasswordHasher(8, 2, {
      queued: (waiting) => lengths.push(waiting),
      waited: (seconds) => waits.push(seconds),
      refused: () => {
        refusals += 1;
      },
    });
    await Promise.allSettled(
      Array.from({ length: 6 }, () => hasher.hash('correct horse battery staple')),
    );
    expect(refusals).to.equal(2);
    expect(lengths).to.deep.equal([1, 2, 1, 0]);
    expect(waits).to.have.length(4);
    // The two queued waited for a running hash; the first two started at once.
    expect(waits.slice(0, 2).every((s) => s < 0.005)).to.equal(true);
    expect(waits.slice(2).every((s) => s > 0)).to.equal(true);
  });

  it('derives its default bound from the cost: about two seconds of waiting', () => {
    expect(defaultHashingQueueLimit(12)).to.equal(16);
    expect(defaultHashingQueueLimit(10)).to.equal(64);
    expect(defaultHashingQueueLimit(13)).to.equal(8);
    expect(defaultHashingQueueLimit(16)).to.equal(4);
    expect(defaultHashingQueueLimit(4)).to.equal(256);
  });
});
