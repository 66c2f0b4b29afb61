// Black-box relying party: knows only the issuer URL and its client registrations, talks HTTP.
//   ISSUER, E2E_CLIENT_ID, E2E_CLIENT_SECRET, E2E_REDIRECT_URI,
//   E2E_SECOND_CLIENT_ID, E2E_SECOND_CLIENT_SECRET, E2E_SECOND_REDIRECT_URI,
//   E2E_UPSTREAMS: comma-separated providers (google, facebook, x) whose sign-in button to press;
//   their pages are the local fakes' interactive sign-in pages, filled in like a person would.
//   E2E_TV_CLIENT_ID, E2E_BACKCHANNEL_LISTEN: the device app and its logout receiver (below).
//   E2E_MAIL_API: a MailDev REST API (compose's mail service) holding the mail the issuer sent.
//   The issuer's RESOURCE_SERVERS_FILE is test/e2e/resource-servers.json, and E2E_CLIENT_ID may
//   ask for its APIs; docker/demo/orders-api.ts plays the orders API here, on loopback.
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { createRemoteJWKSet } from 'jose';
import * as client from 'openid-client';
import { verifyLogoutToken } from '../../docker/demo/logout-token.ts';
import { accessTokenVerifier, startOrdersApi, TokenRefused } from '../../docker/demo/orders-api.ts';
import { Browser, decodeEntities, formByAction, scrapeForms } from '../support/browser.ts';
import { mailDevMailbox, registerMailbox } from '../support/mailbox.ts';
import {
  authorizationUrl,
  callbackOf,
  consent,
  exchangeCode,
  pageOf,
  person,
  signIn,
  signUp,
  visit,
} from '../support/oidc.ts';
import { awayFromStepEdge, recoveryCodesOnPage, secretOnPage, totpCode } from '../support/totp.ts';
import { LogoutReceiver } from './logout-receiver.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const issuer = required('ISSUER');
// Sign-ups are confirmed by the link in their mail, read where the issuer's relay keeps it.
registerMailbox(issuer, mailDevMailbox(required('E2E_MAIL_API')));
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

// Non-repudiation checks make openid-client verify id_token signatures against the JWKS too.
const insecure = () => ({
  execute: issuer.startsWith('http:')
    ? [client.allowInsecureRequests, client.enableNonRepudiationChecks]
    : [client.enableNonRepudiationChecks],
});

async function discover(c: { id: string; secret: string }) {
  return client.discovery(
    new URL(issuer),
    c.id,
    undefined,
    client.ClientSecretBasic(c.secret),
    insecure(),
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

  it('signs a new person up through the HTML forms and the link mailed to them, and gets a code with PKCE', async () => {
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

  it('reads the same person from userinfo, their address verified by the link', async () => {
    const info = await client.fetchUserInfo(rp, tokens.access_token, tokens.claims()?.sub ?? '');
    expect(info).to.include({ email: who.email, name: who.name, email_verified: true });
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

  it("calls the orders API with a JWT access token it checks with the JWKS alone, refusing another API's and an expired one", async () => {
    const apis = JSON.parse(
      await readFile(new URL('./resource-servers.json', import.meta.url), 'utf8'),
    ) as { audience: string }[];
    const [orders, billing] = apis.map((a) => a.audience) as [string, string];
    const tokenFor = async (resource: string, scope: string) => {
      const auth = await authorizationUrl(rp, first.redirectUri, { scope, resource });
      const result = await exchangeCode(rp, callbackOf(await visit(browser, auth.url)), auth, {
        resource,
      });
      return result.access_token;
    };
    const api = await startOrdersApi({ issuer, audience: orders });
    try {
      const call = (token: string) =>
        fetch(`${api.url}/orders`, { headers: { authorization: `Bearer ${token}` } });
      const token = await tokenFor(orders, 'openid orders:read');
      const ok = await call(token);
      expect(ok.status).to.equal(200);
      expect(await ok.json()).to.deep.include({ sub: tokens.claims()?.sub, client_id: first.id });

      const other = await call(await tokenFor(billing, 'openid billing:read'));
      expect(other.status).to.equal(401);
      expect(other.headers.get('www-authenticate')).to.include("the token's aud is not accepted");

      // The same token as the API sees it once its five minutes are over.
      const later = accessTokenVerifier({
        issuer,
        audience: orders,
        now: () => new Date(Date.now() + 301_000),
      });
      const expired = await later(token).catch((e: unknown) => e);
      expect(expired).to.be.instanceOf(TokenRefused);
      expect((expired as TokenRefused).message).to.equal('the token has expired');
    } finally {
      await api.close();
    }
  });

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

// Two-step sign-in: a person turns it on from the account page, scanning nothing but reading the
// secret off the page as an authenticator app would; the app then gets an ID token at acr mfa.
describe(`two-step sign-in with an authenticator app, against ${issuer}`, () => {
  const who = person('e2e-totp');
  let secret: string;

  it('turns on two-step sign-in from the account page with a code computed from the secret', async function () {
    this.timeout(60_000);
    const laptop = new Browser(new URL(issuer).origin);
    const signedUp = await signUp(
      laptop,
      pageOf(await laptop.follow(await laptop.get('/account/signin'))),
      who,
    );
    const account = pageOf(signedUp);
    expect(account).to.include('action="/account/two-step/start"');
    const setup = pageOf(
      await laptop.follow(await laptop.submit(account, '/account/two-step/start')),
    );
    secret = secretOnPage(setup);
    await awayFromStepEdge();
    const done = await laptop.submit(setup, '/account/two-step/confirm', {
      code: totpCode(secret),
    });
    expect(done.status).to.equal(200);
    expect(recoveryCodesOnPage(done.data)).to.have.length(10);
  });

  it('signs in to the application with the password and then a code, and gets acr mfa with amr pwd otp', async () => {
    const rp = await discover(first);
    const phone = new Browser(new URL(issuer).origin);
    const auth = await authorizationUrl(rp, first.redirectUri, {
      acr_values: 'urn:latchkey:acr:mfa',
    });
    const login = pageOf(await visit(phone, auth.url));
    const step = pageOf(await signIn(phone, login, who.email, who.password));
    expect(step).to.match(/action="\/interaction\/[^"]+\/second-step"/);
    await awayFromStepEdge();
    // The step after the one used to turn it on: each step's code is accepted once.
    const result = await phone.follow(
      await phone.submit(step, '/second-step', { code: totpCode(secret, 1) }),
    );
    const tokens = await exchangeCode(rp, callbackOf(result), auth);
    const claims = tokens.claims();
    expect(claims?.email).to.equal(who.email);
    expect(claims?.acr).to.equal('urn:latchkey:acr:mfa');
    expect(claims?.amr).to.include.members(['pwd', 'otp', 'mfa']);
  });
});

// The device story: E2E_TV_CLIENT_ID (public, device_code + refresh_token grants) registered with
// backchannel_logout_uri pointing at the receiver this test runs on E2E_BACKCHANNEL_LISTEN
// (host:port, 127.0.0.1:7003 unless set).
describe(`a TV signed in from a phone, then signed out from it, against ${issuer}`, () => {
  const tvId = required('E2E_TV_CLIENT_ID');
  const receiver = new LogoutReceiver(process.env.E2E_BACKCHANNEL_LISTEN ?? '127.0.0.1:7003');
  const who = person('tv-owner');
  const phone = new Browser(new URL(issuer).origin);
  let tv: client.Configuration;
  let tvTokens: Awaited<ReturnType<typeof client.pollDeviceAuthorizationGrant>>;
  let apiToken: string;
  let tvEntry: { id: string; kind: string };

  before(async () => {
    await receiver.start();
    tv = await client.discovery(new URL(issuer), tvId, undefined, client.None(), insecure());
  });
  after(() => receiver.stop());

  it('signs the TV in: the phone follows verification_uri_complete, signs in first, confirms', async function () {
    this.timeout(90_000);
    // The person's account exists already (made on a laptop); the phone is not signed in yet.
    const laptop = new Browser(new URL(issuer).origin);
    await signUp(laptop, pageOf(await laptop.follow(await laptop.get('/account/signin'))), who);

    const auth = await client.initiateDeviceAuthorization(tv, {
      scope: 'openid profile email offline_access',
    });
    expect(auth.verification_uri_complete).to.be.a('string');
    const login = pageOf(await phone.follow(await phone.get(auth.verification_uri_complete ?? '')));
    expect(login).to.include('Sign in');
    const codePage = (await signIn(phone, login, who.email, who.password)).response.data;
    const entry = formByAction(codePage, '/device');
    expect(entry.fields.user_code).to.equal(auth.user_code);
    const confirm = await phone.post('/device', entry.fields);
    expect(decodeEntities(confirm.data)).to.include('E2E TV');
    const done = await phone.post('/device', {
      ...formByAction(confirm.data, '/device').fields,
      confirm: 'yes',
    });
    expect(done.status).to.equal(200);

    // openid-client waits `interval` between polls (longer after slow_down) and stops at success.
    tvTokens = await client.pollDeviceAuthorizationGrant(tv, auth);
    expect(tvTokens.claims()?.email).to.equal(who.email);
    expect(tvTokens.refresh_token).to.be.a('string');
  });

  it("lists the phone's browser and the TV in GET /api/me/sessions", async () => {
    // A first-party app on the phone gets a token for the API by single sign-on.
    const rp = await discover(first);
    const resource = `${issuer}/api`;
    const auth = await authorizationUrl(rp, first.redirectUri, { resource });
    const tokens = await exchangeCode(rp, callbackOf(await visit(phone, auth.url)), auth, {
      resource,
    });
    apiToken = tokens.access_token;
    const res = await phone.request('GET', `${resource}/me/sessions`, {
      headers: { authorization: `Bearer ${apiToken}` },
    });
    expect(res.status, String(res.data)).to.equal(200);
    const { sessions } = JSON.parse(res.data) as {
      sessions: { id: string; kind: string; current: boolean; apps: { client_id: string }[] }[];
    };
    const here = sessions.find((s) => s.current);
    expect(here?.kind).to.equal('browser');
    const tvs = sessions.filter((s) => s.apps.some((a) => a.client_id === tvId));
    expect(tvs, JSON.stringify(sessions)).to.have.length(1);
    tvEntry = tvs[0] as { id: string; kind: string };
    expect(tvEntry.kind).to.equal('app');
  });

  it("signs the TV out from the phone's devices page: its refresh fails and a logout token arrives", async () => {
    const account = pageOf(await phone.follow(await phone.get('/account')));
    const action = `/account/devices/${tvEntry.id}/sign-out`;
    expect(account).to.include(`action="${action}"`);
    const out = await phone.follow(await phone.submit(account, action));
    expect(out.response.status).to.equal(200);

    const refused = await client.refreshTokenGrant(tv, tvTokens.refresh_token as string).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(client.ResponseBodyError);
    expect((refused as client.ResponseBodyError).error).to.equal('invalid_grant');

    const meta = tv.serverMetadata();
    const token = await receiver.next(15_000);
    const target = await verifyLogoutToken(token, {
      issuer: meta.issuer,
      clientId: tvId,
      keys: createRemoteJWKSet(new URL(meta.jwks_uri as string)),
    });
    expect(target.sub).to.equal(tvTokens.claims()?.sub);
  });
});
