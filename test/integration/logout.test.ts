// RP-initiated logout: a confirmation page, then the session and its tokens are gone.
import { expect } from 'chai';
import * as client from 'openid-client';
import { formByAction } from '../support/browser.ts';
import { authorizationUrl, pageOf, signUpAndAuthorize, visit } from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';
import { userinfoStatus } from '../support/tokens.ts';

describe('logout', () => {
  const c = TEST_CLIENTS.firstParty;

  const server = useServer();

  it('asks for confirmation, ends the session, returns to the app with its state, and ends session-bound tokens', async () => {
    const { rp, browser, tokens } = await signUpAndAuthorize(server.issuer, c);
    const logoutUrl = client.buildEndSessionUrl(rp, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: c.post_logout_redirect_uris[0],
      state: 'bye-123',
    });
    const confirm = await browser.get(logoutUrl.toString());
    expect(confirm.status).to.equal(200);
    expect(confirm.data).to.include('Sign out?');
    expect(confirm.data).to.include('First Party App');
    expect(confirm.headers['content-security-policy']).to.include("frame-ancestors 'none'");
    const form = formByAction(confirm.data, '/logout/confirm');
    expect(form.fields.xsrf).to.be.a('string');

    const done = await browser.follow(
      await browser.post(form.action, { ...form.fields, logout: 'yes' }),
    );
    expect(done.external?.origin + (done.external?.pathname ?? '')).to.equal(
      c.post_logout_redirect_uris[0],
    );
    expect(done.external?.searchParams.get('state')).to.equal('bye-123');

    // Signed out: the next authorization shows the sign-in page again.
    const auth = await authorizationUrl(rp, c.redirect_uris[0]);
    expect(pageOf(await visit(browser, auth.url))).to.include('Sign in');
    // Without offline_access the access token lived and died with the session.
    expect(await userinfoStatus(server.issuer, tokens.access_token)).to.equal(401);
  });

  it('shows a signed-out page when the app gives no return address', async () => {
    const { rp, browser } = await signUpAndAuthorize(server.issuer, c);
    const confirm = await browser.get(client.buildEndSessionUrl(rp).toString());
    const form = formByAction(confirm.data, '/logout/confirm');
    const done = await browser.follow(
      await browser.post(form.action, { ...form.fields, logout: 'yes' }),
    );
    expect(done.external).to.equal(undefined);
    expect(done.response.status).to.equal(200);
    expect(done.response.data).to.include('You are signed out');
  });

  it('keeps the session when the person chooses to stay signed in', async () => {
    const { rp, browser } = await signUpAndAuthorize(server.issuer, c);
    const confirm = await browser.get(client.buildEndSessionUrl(rp).toString());
    const form = formByAction(confirm.data, '/logout/confirm');
    await browser.follow(await browser.post(form.action, { ...form.fields }));
    const auth = await authorizationUrl(rp, c.redirect_uris[0]);
    const again = await visit(browser, auth.url);
    expect(again.external?.searchParams.get('code')).to.be.a('string');
  });

  it('refuses a logout confirmation posted from another site', async () => {
    const { rp, browser } = await signUpAndAuthorize(server.issuer, c);
    const confirm = await browser.get(client.buildEndSessionUrl(rp).toString());
    const form = formByAction(confirm.data, '/logout/confirm');
    const res = await browser.post(
      form.action,
      { ...form.fields, logout: 'yes' },
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    );
    expect(res.status).to.equal(403);
  });

  it('refuses an unregistered post_logout_redirect_uri', async () => {
    const { rp, browser, tokens } = await signUpAndAuthorize(server.issuer, c);
    const res = await browser.get(
      client
        .buildEndSessionUrl(rp, {
          id_token_hint: tokens.id_token as string,
          post_logout_redirect_uri: 'https://evil.example/',
        })
        .toString(),
    );
    expect(res.status).to.equal(400);
    expect(res.headers.location).to.equal(undefined);
  });
});
