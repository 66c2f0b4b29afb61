// A password change signs every other browser out and revokes the tokens apps got through them;
// the browser that made the change stays signed in and its apps keep working.
import { expect } from 'chai';
import { pageOf, signInAndAuthorize, signUpAndAuthorize } from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';
import { refresh } from '../support/tokens.ts';

const c = TEST_CLIENTS.firstParty;
const offline = { scope: 'openid profile offline_access', prompt: 'consent' };

describe('changing the password', () => {
  const server = useServer();

  /** Signs a new browser in to the first-party app as `who`; that app gets tokens. */
  const signInElsewhere = (who: { email: string; password: string }) =>
    signInAndAuthorize(server.issuer, c, who, offline);

  it('ends the other sessions and their refresh tokens, and keeps this one', async () => {
    const here = await signUpAndAuthorize(server.issuer, c, offline);
    const who = here.person;
    const [laptop, phone] = [await signInElsewhere(who), await signInElsewhere(who)];

    // The account page in the first browser (a recent sign-in: it just signed up).
    const page = pageOf(await here.browser.follow(await here.browser.get('/account/signin')));
    expect(page).to.include('Change your password');
    const changed = await here.browser.submit(page, '/account/password', {
      current_password: who.password,
      new_password: 'an entirely new passphrase',
    });
    expect(changed.status).to.equal(200);
    expect(changed.data).to.include('Your password was saved.');

    for (const other of [laptop, phone]) {
      const account = await other.browser.get('/account');
      expect(account.data).to.include('href="/account/signin"');
      const reply = await refresh(server.issuer, c, other.tokens.refresh_token as string);
      expect(reply.status).to.equal(400);
      expect(reply.data.error).to.equal('invalid_grant');
    }

    const still = await here.browser.get('/account');
    expect(still.data).to.include(who.email);
    const kept = await refresh(server.issuer, c, here.tokens.refresh_token as string);
    expect(kept.status).to.equal(200);
    expect(
      server.logs.some(
        (l) => l.event === 'sessions.ended' && (l.sessions as number) >= 2 && l.grants === 2,
      ),
    ).to.equal(true);
  });
});
