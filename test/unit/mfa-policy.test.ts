// When two factors are required, and the RFC 6238 arithmetic the second step relies on.
import { expect } from 'chai';
import { generateSync } from 'otplib';
import { normalizeRecoveryCode } from '../../src/accounts/second-factors.ts';
import { ACR } from '../../src/oidc/assurance.ts';
import { clientRequiresMfa, mfaRequired, reachesMfa } from '../../src/oidc/mfa-policy.ts';

const none = { clientRequiresMfa: false, accountRequiresMfa: false };

describe('MFA policy', () => {
  it('requires nothing extra by default, or when one factor is acceptable', () => {
    expect(mfaRequired(none)).to.equal(false);
    expect(mfaRequired({ ...none, acrValues: ACR.oneFactor })).to.equal(false);
    expect(mfaRequired({ ...none, acrValues: `${ACR.multiFactor} ${ACR.oneFactor}` })).to.equal(
      false,
    );
    expect(mfaRequired({ ...none, acrValues: 'urn:someone:else' })).to.equal(false);
  });

  it('requires two factors when acr_values asks only for mfa or phr', () => {
    expect(mfaRequired({ ...none, acrValues: ACR.multiFactor })).to.equal(true);
    expect(mfaRequired({ ...none, acrValues: ACR.phishingResistant })).to.equal(true);
  });

  it('requires two factors for a client with require_mfa or an account that always asks', () => {
    expect(mfaRequired({ ...none, clientRequiresMfa: true })).to.equal(true);
    expect(mfaRequired({ ...none, accountRequiresMfa: true })).to.equal(true);
    expect(clientRequiresMfa({ require_mfa: true })).to.equal(true);
    expect(clientRequiresMfa({ require_mfa: 'true' })).to.equal(false);
    expect(clientRequiresMfa(undefined)).to.equal(false);
  });

  it('counts a password plus a code as two factors, a password alone as one', () => {
    expect(reachesMfa(['pwd'])).to.equal(false);
    expect(reachesMfa([])).to.equal(false);
    expect(reachesMfa(undefined)).to.equal(false);
    expect(reachesMfa(['pwd', 'otp', 'mfa'])).to.equal(true);
  });

  it('reads recovery codes however they are typed', () => {
    expect(normalizeRecoveryCode(' abcd-efgh ijkl ')).to.equal('ABCDEFGHIJKL');
  });

  it('computes the RFC 6238 test vector (SHA-1, 30 s, at 59 s: 94287082 as 8 digits)', () => {
    // RFC 6238 Appendix B: the ASCII secret "12345678901234567890".
    const secret = new TextEncoder().encode('12345678901234567890');
    expect(generateSync({ secret, epoch: 59, digits: 8 })).to.equal('94287082');
  });
});
