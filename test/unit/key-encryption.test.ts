// KeyRing: AES-256-GCM sealing of stored secrets under the newest key-encryption key.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { KeyEncryptionKey } from '../../src/config.ts';
import { KeyRing, SecretUnreadable } from '../../src/keys/key-encryption.ts';

const kek = (id: string): KeyEncryptionKey => ({ id, key: randomBytes(32) });
const SECRET = { kty: 'EC', d: 'private-part-of-the-key' };

describe('KeyRing', () => {
  const k1 = kek('k1');
  const k2 = kek('k2');

  it('seals under the newest key and opens with any listed key', () => {
    const stored = new KeyRing([k1]).protect(SECRET, 'signing_keys:a');
    expect(stored).to.include({ plain: null, kekId: 'k1' });
    expect(stored.sealed?.toString('latin1')).not.to.include('private-part');
    expect(new KeyRing([k2, k1]).reveal(stored, 'signing_keys:a', 'key a')).to.deep.equal(SECRET);
    expect(new KeyRing([k2, k1]).protect(SECRET, 'x').kekId).to.equal('k2');
  });

  it('uses a fresh nonce each time', () => {
    const ring = new KeyRing([k1]);
    const a = ring.protect(SECRET, 'c');
    const b = ring.protect(SECRET, 'c');
    expect(a.sealed?.equals(b.sealed as Buffer)).to.equal(false);
  });

  it('stores plain values without a key, and reads them back', () => {
    const ring = new KeyRing([]);
    expect(ring.enabled).to.equal(false);
    const stored = ring.protect(SECRET, 'c');
    expect(stored).to.deep.equal({ plain: SECRET, sealed: null, kekId: null });
    expect(ring.reveal(stored, 'c', 'key')).to.deep.equal(SECRET);
  });

  it('refuses a value moved to another row, altered, or under a key it does not hold', () => {
    const ring = new KeyRing([k1]);
    const stored = ring.protect(SECRET, 'signing_keys:a');
    expect(() => ring.reveal(stored, 'signing_keys:b', 'key b')).to.throw(
      SecretUnreadable,
      'key b does not decrypt with key-encryption key "k1"',
    );
    const altered = Buffer.from(stored.sealed as Buffer);
    altered[altered.length - 1] = (altered.at(-1) as number) ^ 1;
    expect(() => ring.reveal({ ...stored, sealed: altered }, 'signing_keys:a', 'key a')).to.throw(
      SecretUnreadable,
    );
    expect(() => ring.reveal({ ...stored, kekId: 'k2' }, 'signing_keys:a', 'key a')).to.throw(
      'key a is encrypted with key-encryption key "k2", which KEY_ENCRYPTION_KEYS does not list (it lists "k1")',
    );
    expect(() =>
      new KeyRing([{ id: 'k1', key: randomBytes(32) }]).reveal(stored, 'signing_keys:a', 'key a'),
    ).to.throw('does not decrypt');
    expect(() => new KeyRing([]).reveal(stored, 'signing_keys:a', 'key a')).to.throw(
      'but KEY_ENCRYPTION_KEYS is not set',
    );
  });
});
