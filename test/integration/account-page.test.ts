// The built-in account page: signing in through Latchkey itself, seeing the profile, signing out.
import { expect } from 'chai';
import { Browser, formByAction } from '../support/browser.ts';
import { pageOf, person, signUp } from '../support/oidc.ts';
import { useServer } from '../support/server.ts';

describe('the account page', () => {
  const server = useServer();

  it('invites a visitor to sign in, and the root address leads there', async () => {
    const browser = new Browser(server.issuer);
    const root = await browser.get('/');
    expect(root.status).to.equal(303);
    expect(root.headers.location).to.equal('/account');
    const page = await browser.get('/account');
    expect(page.status).to.equal(200);
    expect(page.data).to.include('href="/account/signin"');
  });

  it('signs a new person up through the usual pages and shows their profile', async () => {
    const browser = new Browser(server.issuer);
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    // Latchkey signing in to itself is worded as such, not as an application.
    expect(login).to.include('to see and manage your Latchkey account');
    expect(login).to.include('Cancel and return to the account page');
    expect(login).to.not.include('to continue to');
    expect(login).to.not.include('return to the application');
    const who = person('console');
    const done = await signUp(browser, login, who);
    expect(done.external).to.equal(undefined);
    expect(done.response.status).to.equal(200);
    expect(done.response.data).to.include(who.email);
    expect(done.response.data).to.include(who.name);
    expect(done.response.data).to.match(/<strong>Password<\/strong>: set/);
    expect(done.response.data).to.include('/logout?client_id=latchkey-account');
  });

  it('refuses a callback whose state does not match the one it set', async () => {
    const browser = new Browser(server.issuer);
    await browser.get('/account/signin');
    const res = await browser.get('/account/callback?state=forged');
    expect(res.status).to.equal(400);
    expect(res.data).to.include('could not be verified');
  });

  it('words the sign-up page for the account page too, and a cancel returns there', async () => {
    const browser = new Browser(server.issuer);
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    const link = /href="(\/interaction\/[^"]+\/signup)"/.exec(login)?.[1] as string;
    const signup = (await browser.get(link)).data;
    expect(signup).to.include('to see and manage your Latchkey account');
    expect(signup).to.not.include('return to the application');
    const cancelled = await browser.follow(await browser.submit(login, '/abort', {}));
    expect(cancelled.response.data).to.include('Sign-in was cancelled.');
  });

  it('signs out without a question and says so on the account page', async () => {
    const browser = new Browser(server.issuer);
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    const done = await signUp(browser, login, person('bye'));
    const href = /href="([^"]*\/logout\?[^"]+)"/
      .exec(done.response.data)?.[1]
      ?.replace(/&amp;/g, '&');
    const confirm = await browser.get(href as string);
    // The page's script submits the form at once; without script it is one "Sign out" button.
    expect(confirm.data).to.include('data-autosubmit');
    expect(confirm.data).to.not.include('Sign out?');
    expect(confirm.data).to.not.include('asked to sign you out');
    expect(confirm.data).to.not.include('stay signed in');
    const form = formByAction(confirm.data, '/logout/confirm');
    const back = await browser.follow(
      await browser.post(form.action, { ...form.fields, logout: 'yes' }),
    );
    expect(back.response.data).to.include('You are signed out of Latchkey.');
    expect(back.response.data).to.include('href="/account/signin"');
    // Signed in again, the signed-out address is only the account page.
    await signUp(
      browser,
      pageOf(await browser.follow(await browser.get('/account/signin'))),
      person('back'),
    );
    const again = await browser.get('/account/signed-out');
    expect(again.status).to.equal(303);
    expect(again.headers.location).to.equal('/account');
  });

  it('changes the password only with the current one, and the new one then signs in', async () => {
    const browser = new Browser(server.issuer);
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    const who = person('change');
    const page = (await signUp(browser, login, who)).response.data;
    expect(page).to.include('Change your password');

    const wrong = await browser.submit(page, '/account/password', {
      current_password: 'not my password',
      new_password: 'a brand new passphrase',
    });
    expect(wrong.status).to.equal(401);
    expect(wrong.data).to.include('Your current password is incorrect.');
    const short = await browser.submit(wrong.data, '/account/password', {
      current_password: who.password,
      new_password: 'short',
    });
    expect(short.status).to.equal(400);
    expect(short.data).to.include('Use at least 8 characters.');
    const changed = await browser.submit(short.data, '/account/password', {
      current_password: who.password,
      new_password: 'a brand new passphrase',
    });
    expect(changed.status).to.equal(200);
    expect(changed.data).to.include('Your password was saved.');

    const old = await server.latchkey.accounts
      .signInWithPassword({ email: who.email, password: who.password, source: 'test' })
      .then(
        () => 'accepted',
        () => 'refused',
      );
    expect(old).to.equal('refused');
    const fresh = await server.latchkey.accounts.signInWithPassword({
      email: who.email,
      password: 'a brand new passphrase',
      source: 'test',
    });
    expect(fresh.email).to.equal(who.email);
  });

  it("refuses a password change posted without the page's CSRF token", async () => {
    const browser = new Browser(server.issuer);
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    await signUp(browser, login, person('csrf'));
    const res = await browser.post('/account/password', {
      csrf: 'forged',
      current_password: 'x',
      new_password: 'another long passphrase',
    });
    expect(res.status).to.equal(403);
  });

  it("refuses a password change posted from another site, even with the page's token", async () => {
    const browser = new Browser(server.issuer);
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    const who = person('cross-site');
    const page = (await signUp(browser, login, who)).response.data;
    const form = formByAction(page, '/account/password');
    const res = await browser.post(
      form.action,
      { ...form.fields, current_password: who.password, new_password: 'changed from afar' },
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    );
    expect(res.status).to.equal(403);
    expect(res.data).to.include('another site');
    const still = await server.latchkey.accounts.signInWithPassword({
      email: who.email,
      password: who.password,
      source: 'test',
    });
    expect(still.email).to.equal(who.email);
  });

  it('does not let a client file claim the reserved account client id', async () => {
    const { parseClients } = await import('../../src/oidc/clients.ts');
    expect(() =>
      parseClients([{ client_id: 'latchkey-account', redirect_uris: ['http://localhost/cb'] }]),
    ).to.throw(/reserved/);
  });
});
