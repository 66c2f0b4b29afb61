// Consent: skipped for first-party clients, asked once and remembered for the others.
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { Browser } from '../support/browser.ts';
import {
  authorizationUrl,
  authorizeAgain,
  callbackOf,
  consent,
  exchangeCode,
  pageOf,
  person,
  relyingParty,
  signInAndAuthorize,
  signUp,
  signUpThrough,
  type TestClient,
  visit,
} from '../support/oidc.ts';
import { startTestServer, TEST_CLIENTS, useServer } from '../support/server.ts';

describe('consent', () => {
  const server = useServer();
  const { firstParty, thirdParty } = TEST_CLIENTS;

  it('never asks for consent on behalf of a first-party app', async () => {
    const { rp, auth, result } = await signUpThrough(server.issuer, firstParty);
    const tokens = await exchangeCode(rp, callbackOf(result), auth);
    expect(tokens.scope?.split(' ').sort()).to.deep.equal(['email', 'openid', 'profile']);
  });

  it('asks once for a third-party app, then remembers the answer on another device', async () => {
    const who = person('consent');
    const {
      rp,
      browser: laptop,
      auth: first,
      result,
    } = await signUpThrough(server.issuer, thirdParty, {}, who);
    const consentPage = pageOf(result);
    expect(consentPage).to.include('Third Party App');
    expect(consentPage).to.include('See your email address');
    expect(consentPage).to.include('See your name and profile picture');
    const granted = await consent(laptop, consentPage, 'allow');
    const tokens = await exchangeCode(rp, callbackOf(granted), first);
    expect(tokens.claims()?.email).to.equal(who.email);

    // A second device: signing in is needed, consent is not.
    const { tokens: again } = await signInAndAuthorize(server.issuer, thirdParty, who);
    expect(again.claims()?.sub).to.equal(tokens.claims()?.sub);
  });

  it('shows consent with the shipped demo-partner client, never with the first-party demo', async () => {
    const shipped = JSON.parse(await readFile('docker/clients.json', 'utf8')) as TestClient[];
    const resourceServers = JSON.parse(
      await readFile('docker/resource-servers.json', 'utf8'),
    ) as unknown[];
    const demoServer = await startTestServer({ clients: shipped, resourceServers });
    try {
      const byId = (id: string) => shipped.find((entry) => entry.client_id === id) as TestClient;
      const who = person('demo');
      const browser = new Browser(demoServer.issuer);
      const demo = byId('demo');
      const demoRp = await relyingParty(demoServer.issuer, demo);
      const first = await authorizationUrl(demoRp, demo.redirect_uris[0] as string);
      await exchangeCode(
        demoRp,
        callbackOf(await signUp(browser, pageOf(await visit(browser, first.url)), who)),
        first,
      );
      // Same browser, already signed in: the partner app asks for consent and nothing else.
      const partner = byId('demo-partner');
      const partnerRp = await relyingParty(demoServer.issuer, partner);
      const second = await authorizationUrl(partnerRp, partner.redirect_uris[0] as string);
      const page = pageOf(await visit(browser, second.url));
      expect(page).to.include('Demo partner app').and.include('See your email address');
      const tokens = await exchangeCode(
        partnerRp,
        callbackOf(await consent(browser, page, 'allow')),
        second,
      );
      expect(tokens.claims()?.email).to.equal(who.email);
    } finally {
      await demoServer.stop();
    }
  });

  it("describes exactly what a third-party app with the profile scope gets, and never Latchkey's API", async () => {
    const { rp, browser, auth, result } = await signUpThrough(server.issuer, thirdParty, {
      scope: 'openid profile',
    });
    const page = pageOf(result);
    const items = [...page.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => (m[1] as string).trim());
    expect(items).to.deep.equal([
      'Know who you are on this service (a stable account identifier)',
      'See your name and profile picture',
    ]);
    const tokens = await exchangeCode(rp, callbackOf(await consent(browser, page, 'allow')), auth);
    // The access token it receives reads /userinfo; the API, which can change the profile, refuses it.
    const me = await fetch(`${server.issuer}/api/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(me.status).to.equal(401);
    const { callback: refused } = await authorizeAgain(browser, rp, thirdParty.redirect_uris[0], {
      scope: 'openid profile',
      resource: `${server.issuer}/api`,
    });
    expect(refused.searchParams.get('error')).to.equal('invalid_target');
  });

  it('asks again only for what was not granted before', async () => {
    const who = person('more');
    const { rp, browser, result } = await signUpThrough(
      server.issuer,
      thirdParty,
      { scope: 'openid email' },
      who,
    );
    const consentPage = pageOf(result);
    expect(consentPage).not.to.include('See your name');
    await consent(browser, consentPage, 'allow');

    const wider = await authorizationUrl(rp, thirdParty.redirect_uris[0], {
      scope: 'openid email profile',
    });
    const askAgain = pageOf(await visit(browser, wider.url));
    expect(askAgain).to.include('See your name and profile picture');
    expect(askAgain).not.to.include('See your email address');
  });

  it('returns access_denied to the app when the person denies', async () => {
    const { browser, auth, result } = await signUpThrough(server.issuer, thirdParty);
    const consentPage = pageOf(result);
    const denied = callbackOf(await consent(browser, consentPage, 'deny'));
    expect(denied.searchParams.get('error')).to.equal('access_denied');
    expect(denied.searchParams.get('state')).to.equal(auth.state);
    expect(denied.searchParams.get('iss')).to.equal(server.issuer);
  });

  it("asks a third-party app's user again when offline access is requested with prompt=consent", async () => {
    const who = person('offline');
    const { rp, browser, result } = await signUpThrough(server.issuer, thirdParty, {}, who);
    await consent(browser, pageOf(result), 'allow');
    const offline = await authorizationUrl(rp, thirdParty.redirect_uris[0], {
      scope: 'openid email profile offline_access',
      prompt: 'consent',
    });
    const page = pageOf(await visit(browser, offline.url));
    expect(page).to.include('Keep access while you are not using the application');
    const tokens = await exchangeCode(
      rp,
      callbackOf(await consent(browser, page, 'allow')),
      offline,
    );
    expect(tokens.refresh_token).to.be.a('string');
  });
});
