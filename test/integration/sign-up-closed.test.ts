// SIGN_UP_ENABLED=false: the sign-in page offers no account creation and the sign-up page is gone.
import { expect } from 'chai';
import { formByAction } from '../support/browser.ts';
import { atSignInPage, person } from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';

describe('sign-up closed', () => {
  const server = useServer({ env: { SIGN_UP_ENABLED: 'false' } });

  it('shows the sign-in page without a link to create an account', async () => {
    const { login } = await atSignInPage(server.issuer, TEST_CLIENTS.firstParty);
    expect(login).to.include('/login"');
    expect(login).not.to.include('/signup');
    expect(login).not.to.include('Create an account');
  });

  it('answers the sign-up page and its form with the readable 404 page, creating nothing', async () => {
    const { browser, login } = await atSignInPage(server.issuer, TEST_CLIENTS.firstParty);
    const form = formByAction(login, '/login');
    const signUp = form.action.replace(/\/login$/, '/signup');
    const page = await browser.get(signUp);
    expect(page.status).to.equal(404);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.data).to.include('Page not found');
    const who = person('closed');
    const posted = await browser.post(signUp, { ...form.fields, ...who });
    expect(posted.status).to.equal(404);
    expect(posted.data).to.include('Page not found');
    expect(await server.latchkey.accounts.findAccountByEmail(who.email)).to.equal(null);
  });
});
