// DPoP nonces: the same on every instance sharing the cookie key, good for a few minutes only.
import { expect } from 'chai';
import { DpopNonces, dpopNonceSecret } from '../../src/oidc/dpop-nonces.ts';

const KEY = 'k'.repeat(32);

describe('DPoP nonces', () => {
  it('are accepted by another instance with the same cookie key, not with another', () => {
    const one = new DpopNonces(dpopNonceSecret([KEY]), 'api');
    const two = new DpopNonces(dpopNonceSecret([KEY, 'older'.repeat(8)]), 'api');
    const stranger = new DpopNonces(dpopNonceSecret(['x'.repeat(32)]), 'api');
    const nonce = one.current();
    expect(two.accepts(nonce)).to.equal(true);
    expect(stranger.accepts(nonce)).to.equal(false);
    expect(new DpopNonces(dpopNonceSecret([KEY]), 'token').accepts(nonce)).to.equal(false);
  });

  it('expire about five minutes after they were handed out', () => {
    let now = Date.parse('2026-01-01T00:00:30Z');
    const nonces = new DpopNonces(dpopNonceSecret([KEY]), 'api', () => now);
    const nonce = nonces.current();
    now += 4 * 60_000;
    expect(nonces.accepts(nonce)).to.equal(true);
    now += 2 * 60_000;
    expect(nonces.accepts(nonce)).to.equal(false);
    expect(nonces.accepts(undefined)).to.equal(false);
    expect(nonces.accepts('short')).to.equal(false);
  });

  it('derive a secret that is not the cookie key itself', () => {
    const secret = dpopNonceSecret([KEY]);
    expect(secret).to.have.length(32);
    expect(secret.toString('utf8')).not.to.include(KEY.slice(0, 8));
  });
});
