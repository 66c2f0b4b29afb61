// CsrfTokens: tokens bound to one interaction, checked against every configured cookie key.
import { expect } from 'chai';
import { CsrfTokens } from '../../src/http/csrf.ts';

const OLD_KEY = 'old-cookie-key-0123456789abcdefghij';
const NEW_KEY = 'new-cookie-key-0123456789abcdefghij';
const OTHER_KEY = 'another-deployment-key-0123456789ab';

const UID = 'Yc8lT2x0QFq3h1WcR5mJz';

/** Replaces the character at `index` with a different one from the base64url alphabet. */
function changeCharAt(token: string, index: number): string {
  const replacement = token[index] === 'A' ? 'Q' : 'A';
  return `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
}

describe('CsrfTokens', () => {
  const tokens = new CsrfTokens([NEW_KEY]);

  it('issues a 32-byte token as unpadded base64url', () => {
    const token = tokens.issue(UID);
    expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).to.have.length(32);
  });

  it('issues the same token for the same interaction, so every form on the page agrees', () => {
    expect(tokens.issue(UID)).to.equal(tokens.issue(UID));
  });

  it('accepts a token for the interaction it was issued for', () => {
    expect(tokens.verify(UID, tokens.issue(UID))).to.equal(true);
  });

  it('refuses a token issued for another interaction', () => {
    const token = tokens.issue(UID);
    expect(tokens.issue('another-interaction')).to.not.equal(token);
    expect(tokens.verify('another-interaction', token)).to.equal(false);
    expect(tokens.verify(`${UID}x`, token)).to.equal(false);
    expect(tokens.verify('', token)).to.equal(false);
  });

  describe('a token that was tampered with', () => {
    const token = tokens.issue(UID);

    it('fails when any single character is changed', () => {
      for (const index of [0, 10, 21, 42]) {
        expect(tokens.verify(UID, changeCharAt(token, index)), `index ${index}`).to.equal(false);
      }
    });

    it('fails when it is cut short', () => {
      expect(tokens.verify(UID, token.slice(0, 42))).to.equal(false);
      expect(tokens.verify(UID, token.slice(0, 20))).to.equal(false);
    });

    it('fails when characters are added to it', () => {
      expect(tokens.verify(UID, `${token}A`)).to.equal(false);
      expect(tokens.verify(UID, `${token}!`)).to.equal(false);
      expect(tokens.verify(UID, `${token}=`)).to.equal(false);
      expect(tokens.verify(UID, ` ${token}`)).to.equal(false);
    });

    it('fails when re-spelled as padded standard base64, though it decodes to the same bytes', () => {
      const standard = Buffer.from(token, 'base64url').toString('base64');
      expect(standard).to.not.equal(token);
      expect(tokens.verify(UID, standard)).to.equal(false);
    });
  });

  describe('garbage in place of a token', () => {
    it('fails for empty, short or random input', () => {
      for (const garbage of ['', 'x', 'not-a-token', '%%%%', 'A'.repeat(43), '\u0000'.repeat(43)]) {
        expect(tokens.verify(UID, garbage), JSON.stringify(garbage)).to.equal(false);
      }
    });

    it('fails for 32 random bytes of the right shape', () => {
      const forged = Buffer.alloc(32, 7).toString('base64url');
      expect(forged).to.have.length(43);
      expect(tokens.verify(UID, forged)).to.equal(false);
    });
  });

  describe('when COOKIE_KEYS is rotated', () => {
    const before = new CsrfTokens([OLD_KEY]);
    const after = new CsrfTokens([NEW_KEY, OLD_KEY]);

    it('still accepts a token issued with the old key', () => {
      expect(after.verify(UID, before.issue(UID))).to.equal(true);
    });

    it('issues new tokens with the new key', () => {
      const token = after.issue(UID);
      expect(token).to.equal(new CsrfTokens([NEW_KEY]).issue(UID));
      expect(token).to.not.equal(before.issue(UID));
      expect(before.verify(UID, token)).to.equal(false);
    });

    it('stops accepting old tokens once the old key is removed', () => {
      expect(new CsrfTokens([NEW_KEY]).verify(UID, before.issue(UID))).to.equal(false);
    });

    it('keeps binding old tokens to their interaction', () => {
      expect(after.verify('another-interaction', before.issue(UID))).to.equal(false);
    });
  });

  it('refuses tokens issued with an unrelated key', () => {
    const foreign = new CsrfTokens([OTHER_KEY]).issue(UID);
    expect(new CsrfTokens([NEW_KEY, OLD_KEY]).verify(UID, foreign)).to.equal(false);
  });

  it('cannot issue tokens without any key, and accepts none', () => {
    const keyless = new CsrfTokens([]);
    expect(() => keyless.issue(UID)).to.throw(Error, 'no CSRF key');
    expect(keyless.verify(UID, tokens.issue(UID))).to.equal(false);
  });
});
