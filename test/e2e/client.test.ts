// Black-box relying party: knows only the issuer URL and its client registrations, talks HTTP.
//   ISSUER, E2E_CLIENT_ID, E2E_CLIENT_SECRET, E2E_REDIRECT_URI,
//   E2E_SECOND_CLIENT_ID, E2E_SECOND_CLIENT_SECRET, E2E_SECOND_REDIRECT_URI,
//   E2E_UPSTREAMS: comma-separated providers (google, facebook, x) whose sign-in button to press;
//   their pages are the local fakes' interactive sign-in pages, filled in like a person would.
import { expect } from 'chai';
import * as client from 'openid-client';
import { Browser, formByAction, scrapeForms } from '../support/browser.ts';
import {
  authorizationUrl,
  callbackOf,
  consent,
  exchangeCode,
  pageOf,
  person,
  signUp,
  visit,
} from '../support/oidc.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const issuer = required('ISSUER');
const first = {
  id: required('E2E_CLIENT_ID'),
  secret: required('E2E_CLIENT_SECRET'),
  redirectUri: required('E2E_REDIRECT_URI'),
};
const second = {
  id: required('E2E_SECOND_CLIENT_ID'),
  secret: required('E2E_SECOND_CLIENT_SECRET'),
  redirectUri: required('E2E_SECOND_REDIRECT_URI'),
};

async function discover(c: { id: string; secret: string }) {
  // Non-repudiation checks make openid-client verify id_token signatures against the JWKS too.
  const execute = issuer.startsWith('http:')
    ? [client.allowInsecureRequests, client.enableNonRepudiationChecks]
    : [client.enableNonRepudiationChecks];
  const options = { execute };
  return client.discovery(
    new URL(issuer),
    c.id,
    undefined,
    client.ClientSecretBasic(c.secret),
    options,
  );
}

describe(`a relying party against ${issuer}`, () => {
  const browser = new Browser(new URL(issuer).origin);
  const who = person('e2e');
  let rp: client.Configuration;
  let tokens: Awaited<ReturnType<typeof exchangeCode>>;

  before(async () => {
    rp = await discover(first);
  });

  it('discovers an OpenID provider that requires S256 PKCE and returns iss', () => {
    const meta = rp.serverMetadata();
    expect(meta.issuer).to.equal(issuer);
    expect(meta.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(meta.authorization_response_iss_parameter_supported).to.equal(true);
    expect(meta.end_session_endpoint).to.be.a('string');
    expect(meta.userinfo_endpoint).to.be.a('string');
  });

  it('signs a new person up through the HTML forms and gets a code with PKCE', async () => {
    const auth = await authorizationUrl(rp, first.redirectUri, {
      scope: 'openid profile email offline_access',
      prompt: 'consent',
    });
    const login = pageOf(await visit(browser, auth.url));
    expect(login).to.include('Sign in');
    let result = await signUp(browser, login, who);
    // Third-party registrations show a consent page; first-party ones skip it.
    if (!result.external && result.response.data.includes('/consent')) {
      result = await consent(browser, result.response.data, 'allow');
    }
    const callback = callbackOf(result);
    expect(callback.searchParams.get('iss')).to.equal(issuer);
    // openid-client verifies the id_token: signature against the JWKS, iss, aud, exp, nonce.
    tokens = await exchangeCode(rp, callback, auth);
    expect(tokens.token_type.toLowerCase()).to.equal('bearer');
    expect(tokens.refresh_token).to.be.a('string');
  });

  it('receives an id_token with the right claims', () => {
    const claims = tokens.claims();
    expect(claims?.iss).to.equal(issuer);
    expect(claims?.aud).to.equal(first.id);
    expect(claims?.sub).to.match(/^[0-9a-f-]{36}$/);
    expect(claims?.email).to.equal(who.email);
    expect(claims?.name).to.equal(who.name);
  });

  it('reads the same person from userinfo', async () => {
    const info = await client.fetchUserInfo(rp, tokens.access_token, tokens.claims()?.sub ?? '');
    expect(info).to.include({ email: who.email, name: who.name, email_verified: false });
  });

  it('refreshes, getting a new refresh token each time', async () => {
    const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
    expect(refreshed.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);
    expect(refreshed.claims()?.sub).to.equal(tokens.claims()?.sub);
    const info = await client.fetchUserInfo(rp, refreshed.access_token, tokens.claims()?.sub ?? '');
    expect(info.email).to.equal(who.email);
    tokens = refreshed;
  });

  it('signs into a second application without a password (single sign-on)', async () => {
    const rp2 = await discover(second);
    const auth = await authorizationUrl(rp2, second.redirectUri);
    const result = await visit(browser, auth.url);
    const callback = callbackOf(result);
    const tokens2 = await exchangeCode(rp2, callback, auth);
    expect(tokens2.claims()?.sub).to.equal(tokens.claims()?.sub);
    expect(tokens2.claims()?.aud).to.equal(second.id);
  });

  for (const upstream of (process.env.E2E_UPSTREAMS ?? '').split(',').filter((u) => u !== '')) {
    it(`signs a new person in with ${upstream} and gets an id_token with the name they gave there`, async () => {
      const fresh = new Browser(new URL(issuer).origin);
      const auth = await authorizationUrl(rp, first.redirectUri);
      const login = pageOf(await visit(fresh, auth.url));
      const out = await fresh.follow(await fresh.submit(login, `/federated/${upstream}`));
      expect(out.external, 'sent to the provider').to.be.instanceOf(URL);
      const providerPage = await fresh.get((out.external as URL).toString());
      expect(providerPage.status).to.equal(200);
      const form = scrapeForms(providerPage.data)[0];
      if (!form) throw new Error(`no sign-in form on ${upstream}'s page`);
      const someone = person(upstream);
      const answer = await fresh.request('POST', new URL(form.action, out.external).toString(), {
        data: new URLSearchParams({
          ...form.fields,
          fake_name: someone.name,
          fake_email: someone.email,
          fake_email_verified: 'true',
          fake_username: someone.email.split('@')[0] as string,
          fake_decision: 'continue',
        }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const back = answer.headers.location as string | undefined;
      expect(back, `${upstream} sends the browser back`).to.be.a('string');
      const result = await fresh.follow(await fresh.get(back as string));
      const upstreamTokens = await exchangeCode(rp, callbackOf(result), auth);
      expect(upstreamTokens.claims()?.name).to.equal(someone.name);
      expect(upstreamTokens.claims()?.sub).not.to.equal(tokens.claims()?.sub);
    });
  }

  it('logs out, after which signing in is needed again', async () => {
    const url = client.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token as string });
    const confirm = await browser.get(url.toString());
    expect(confirm.status).to.equal(200);
    const form = formByAction(confirm.data, '/logout/confirm');
    const done = await browser.follow(
      await browser.post(form.action, { ...form.fields, logout: 'yes' }),
    );
    expect(done.response.data).to.include('You are signed out');
    const auth = await authorizationUrl(rp, first.redirectUri);
    expect(pageOf(await visit(browser, auth.url))).to.include('Sign in');
  });
});
