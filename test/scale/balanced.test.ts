// Phase 1 of `make scale-test` (scripts/scale-test.sh), in the tests container of
// docker/compose.scale.yml: one person's sign-up, sign-in, single sign-on, refreshes, logout and
// a device sign-in through the load balancer, each step answered by several of the three
// instances (X-Latchkey-Instance says which), and each working whichever instance answers.
//   E2E_ISSUER (the balancer), E2E_INSTANCES, E2E_MAIL_API, E2E_CLIENT_ID, E2E_CLIENT_SECRET,
//   E2E_REDIRECT_URI, E2E_SECOND_*, E2E_TV_CLIENT_ID.
import { networkInterfaces } from 'node:os';
import { expect } from 'chai';
import * as client from 'openid-client';
import { Browser, decodeEntities, formByAction } from '../support/browser.ts';
import { mailDevMailbox, registerMailbox } from '../support/mailbox.ts';
import {
  authorizationUrl,
  callbackOf,
  exchangeCode,
  OFFLINE,
  pageOf,
  person,
  relyingParty,
  signIn,
  signUp,
  visit,
} from '../support/oidc.ts';
import { InstanceLog, required } from './balancer.ts';

const issuer = required('E2E_ISSUER');
const instances = required('E2E_INSTANCES').split(',').sort();
registerMailbox(issuer, mailDevMailbox(required('E2E_MAIL_API')));
const first = {
  client_id: required('E2E_CLIENT_ID'),
  client_secret: required('E2E_CLIENT_SECRET'),
  redirect_uris: [required('E2E_REDIRECT_URI')],
};
const second = {
  client_id: required('E2E_SECOND_CLIENT_ID'),
  client_secret: required('E2E_SECOND_CLIENT_SECRET'),
  redirect_uris: [required('E2E_SECOND_REDIRECT_URI')],
};
const redirect = first.redirect_uris[0] as string;

/** An address a client made up: the balancer appends the real one after it. */
const FORGED = '203.0.113.66';

/** This container's address on the compose network, as the balancer sees the connection. */
function ownAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i && i.family === 'IPv4' && !i.internal)
    .map((i) => i?.address as string);
}

describe(`three instances behind the balancer at ${issuer}`, () => {
  const log = new InstanceLog();
  log.watchFetch();
  const browser = new Browser(new URL(issuer).origin);
  log.watch(browser.http);
  browser.http.defaults.headers.common['x-forwarded-for'] = FORGED;
  const who = person('scale');
  let rp: client.Configuration;
  let tokens: Awaited<ReturnType<typeof exchangeCode>>;

  /** Runs a step and says which instances answered it; several must have. */
  async function across<T>(what: string, step: () => Promise<T>): Promise<T> {
    const mark = log.mark;
    const result = await step();
    const answered = log.since(mark);
    expect(answered.length, `${what} was answered by ${answered.join(', ')} only`).to.be.at.least(
      2,
    );
    for (const name of answered) expect(instances).to.include(name);
    return result;
  }

  before(async () => {
    rp = await relyingParty(issuer, first);
  });

  it('sends requests to every instance in turn', async () => {
    const mark = log.mark;
    for (let i = 0; i < instances.length * 2; i += 1) {
      const res = await browser.get('/.well-known/openid-configuration');
      expect(res.status).to.equal(200);
    }
    expect(log.since(mark)).to.deep.equal(instances);
  });

  it('signs a new person up, confirms by mail and gets a code with PKCE, across instances', async () => {
    tokens = await across('the sign-up', async () => {
      const auth = await authorizationUrl(rp, redirect, OFFLINE);
      const login = pageOf(await visit(browser, auth.url));
      expect(login).to.include('Sign in');
      const result = await signUp(browser, login, who);
      return exchangeCode(rp, callbackOf(result), auth);
    });
    expect(tokens.claims()?.email).to.equal(who.email);
    expect(tokens.refresh_token).to.be.a('string');
  });

  it('answers userinfo with the same person on every instance', async () => {
    await across('userinfo', async () => {
      for (let i = 0; i < instances.length; i += 1) {
        const info = await client.fetchUserInfo(
          rp,
          tokens.access_token,
          tokens.claims()?.sub ?? '',
        );
        expect(info).to.include({ email: who.email, name: who.name, email_verified: true });
      }
    });
  });

  it('refreshes again and again, each refresh token redeemed where another was issued', async () => {
    await across('the refreshes', async () => {
      for (let i = 0; i < instances.length; i += 1) {
        const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
        expect(refreshed.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);
        expect(refreshed.claims()?.sub).to.equal(tokens.claims()?.sub);
        tokens = refreshed;
      }
    });
  });

  it('signs into a second application without a password (single sign-on)', async () => {
    const rp2 = await relyingParty(issuer, second);
    const tokens2 = await across('the single sign-on', async () => {
      const auth = await authorizationUrl(rp2, second.redirect_uris[0] as string);
      return exchangeCode(rp2, callbackOf(await visit(browser, auth.url)), auth);
    });
    expect(tokens2.claims()?.sub).to.equal(tokens.claims()?.sub);
    expect(tokens2.claims()?.aud).to.equal(second.client_id);
  });

  it("records the browser's own address, not the one it put in X-Forwarded-For", async () => {
    const resource = `${issuer}/api`;
    const auth = await authorizationUrl(rp, redirect, { resource });
    const api = await exchangeCode(rp, callbackOf(await visit(browser, auth.url)), auth, {
      resource,
    });
    const res = await browser.request('GET', `${resource}/me/sessions`, {
      headers: { authorization: `Bearer ${api.access_token}` },
    });
    expect(res.status, String(res.data)).to.equal(200);
    const { sessions } = JSON.parse(res.data) as { sessions: { ip?: string; current: boolean }[] };
    const here = sessions.find((s) => s.current);
    expect(here?.ip).to.be.oneOf(ownAddresses());
    expect(here?.ip).not.to.equal(FORGED);
  });

  it('logs out (RP-initiated), after which every instance asks to sign in again', async () => {
    await across('the logout', async () => {
      const url = client.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token as string });
      const confirm = await browser.get(url.toString());
      expect(confirm.status).to.equal(200);
      const form = formByAction(confirm.data, '/logout/confirm');
      const done = await browser.follow(
        await browser.post(form.action, { ...form.fields, logout: 'yes' }),
      );
      expect(done.response.data).to.include('You are signed out');
    });
    const mark = log.mark;
    while (log.since(mark).length < instances.length) {
      const auth = await authorizationUrl(rp, redirect);
      expect(pageOf(await visit(browser, auth.url))).to.include('Sign in');
      if (log.mark - mark > 60) break;
    }
    expect(log.since(mark)).to.deep.equal(instances);
  });

  it('signs a TV in with the device flow, its polls and the phone answered by different instances', async function () {
    this.timeout(90_000);
    const tv = await relyingParty(issuer, {
      client_id: required('E2E_TV_CLIENT_ID'),
      redirect_uris: [],
    });
    const phone = new Browser(new URL(issuer).origin);
    log.watch(phone.http);
    const tvTokens = await across('the device sign-in', async () => {
      const auth = await client.initiateDeviceAuthorization(tv, {
        scope: 'openid profile email offline_access',
      });
      const login = pageOf(
        await phone.follow(await phone.get(auth.verification_uri_complete ?? '')),
      );
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
      return client.pollDeviceAuthorizationGrant(tv, auth);
    });
    expect(tvTokens.claims()?.email).to.equal(who.email);
    const refreshed = await client.refreshTokenGrant(tv, tvTokens.refresh_token as string);
    expect(refreshed.claims()?.sub).to.equal(tvTokens.claims()?.sub);
  });
});
