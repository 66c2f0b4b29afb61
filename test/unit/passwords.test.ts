// Password rules and bcrypt hashing: length in characters, a byte ceiling, and no silent truncation.
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import {
  fitsBcrypt,
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_CHARS,
  PasswordHasher,
  passwordProblem,
} from '../../src/accounts/passwords.ts';

const TOO_SHORT = 'Use at least 8 characters.';
const TOO_LONG =
  'Use at most 72 bytes (about 72 letters, fewer with accents or emoji); longer passwords cannot be stored safely.';
const COMMON = 'This password is one of the most commonly used; choose another.';
const IS_EMAIL = 'Your password must not be your email address.';

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

  it('verifies the password it hashed', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).to.match(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(await hasher.verify('correct horse battery staple', hash)).to.equal(true);
  });

  it('salts every hash, so the same password never hashes the same twice', async () => {
    const first = await hasher.hash('correct horse battery staple');
    const second = await hasher.hash('correct horse battery staple');
    expect(first).to.not.equal(second);
  });

  it('rejects a wrong password, including one differing only in case', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify('correct horse battery stapler', hash)).to.equal(false);
    expect(await hasher.verify('Correct horse battery staple', hash)).to.equal(false);
  });

  it('verifies non-ASCII passwords byte for byte', async () => {
    const hash = await hasher.hash('mot de passe: çà et là 🔑');
    expect(await hasher.verify('mot de passe: çà et là 🔑', hash)).to.equal(true);
    expect(await hasher.verify('mot de passe: ca et la 🔑', hash)).to.equal(false);
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
    expect(await hasher.verify(stored, hash)).to.equal(true);
    expect(await hasher.verify(`${stored}y`, hash)).to.equal(false);
    expect(await hasher.verify(`${stored}${'y'.repeat(100)}`, hash)).to.equal(false);
  });

  it('does not treat two passwords sharing their first 72 bytes as the same', async () => {
    const prefix = 'p'.repeat(71);
    const hash = await hasher.hash(`${prefix}A`);
    // bcrypt alone reads only the first 72 bytes and calls these equal.
    expect(await bcrypt.compare(`${prefix}AB`, hash)).to.equal(true);
    expect(await hasher.verify(`${prefix}A`, hash)).to.equal(true);
    expect(await hasher.verify(`${prefix}AB`, hash)).to.equal(false);
    expect(await hasher.verify(`${prefix}é`, hash)).to.equal(false);
  });

  it('does not end a password at a NUL character', async () => {
    const hash = await hasher.hash('same start\u0000first ending');
    expect(await hasher.verify('same start\u0000first ending', hash)).to.equal(true);
    expect(await hasher.verify('same start\u0000other ending', hash)).to.equal(false);
    expect(await hasher.verify('same start', hash)).to.equal(false);
  });

  it('asks for a rehash only when a stored hash was made at another cost', async () => {
    const atFour = await hasher.hash('correct horse battery staple');
    const atFive = await new PasswordHasher(5).hash('correct horse battery staple');
    expect(hasher.needsRehash(atFour)).to.equal(false);
    expect(hasher.needsRehash(atFive)).to.equal(true);
    expect(new PasswordHasher(5).needsRehash(atFour)).to.equal(true);
  });

  it('burns one comparison for unknown accounts and always answers false', async () => {
    expect(await hasher.burn()).to.equal(false);
    expect(await hasher.burn()).to.equal(false);
  });
});
