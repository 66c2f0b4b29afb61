// Apps hear about sign-outs: a signed logout token reaches the app's back-channel logout endpoint
// for every way a session ends (the app's own logout, the devices page, everywhere else, a password
// change, the API, the operator's CLI), and the ended session's refresh tokens stop working.
import axios from 'axios';
import { expect } from 'chai';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { formByAction } from '../support/browser.ts';
import { type LogoutReceiver, startLogoutReceiver } from '../support/logout-receiver.ts';
import { OFFLINE, pageOf, signInAndAuthorize, signUpAndAuthorize } from '../support/oidc.ts';
import { runCli } from '../support/process.ts';
import { serverEnv, TEST_CLIENTS, type TestServer, useServer } from '../support/server.ts';
import { refresh, sessionCookie } from '../support/tokens.ts';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

function appWith(receiver: LogoutReceiver) {
  return {
    client_id: 'bc-app',
    client_secret: 'bc-app-secret-0123456789abcdef0123456789',
    client_name: 'Shop',
    redirect_uris: ['http://127.0.0.1:4/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:4/signed-out'],
    first_party: true,
    backchannel_logout_uri: receiver.url,
    backchannel_logout_session_required: true,
  };
}

describe('back-channel logout', () => {
  let receiver: LogoutReceiver;
  before(async () => {
    receiver = await startLogoutReceiver();
  });
  after(() => receiver.close());
  const server = useServer(() => ({
    clients: [...Object.values(TEST_CLIENTS), appWith(receiver)],
    env: { BACKCHANNEL_ALLOW_PRIVATE_NETWORK: 'true' },
    backchannelBackoffMs: 50,
  }));
  const app = () => appWith(receiver);
  const http = axios.create({ validateStatus: () => true });

  /** Checks a logout token as an app must (OIDC Back-Channel Logout 1.0 §2.6); its claims. */
  async function verified(token: string) {
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    const { payload } = await jwtVerify(token, jwks, {
      issuer: server.issuer,
      audience: 'bc-app',
      typ: 'logout+jwt',
    });
    expect(decodeProtectedHeader(token).typ).to.equal('logout+jwt');
    expect(payload.events).to.deep.equal({ [EVENT]: {} });
    expect(payload).not.to.have.property('nonce');
    expect(payload.jti).to.be.a('string');
    expect(payload.iat).to.be.a('number');
    return payload;
  }

  /** A person signed in to the app in one browser (with a refresh token). */
  const signedUp = () => signUpAndAuthorize(server.issuer, app(), OFFLINE);
  const elsewhere = (who: { email: string; password: string }) =>
    signInAndAuthorize(server.issuer, app(), who, OFFLINE);

  const sidOf = (tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers) =>
    tokens.claims()?.sid as string;

  it('advertises back-channel logout with sessions in discovery, and id_tokens carry sid', async () => {
    const discovery = await http.get(`${server.issuer}/.well-known/openid-configuration`);
    expect(discovery.data.backchannel_logout_supported).to.equal(true);
    expect(discovery.data.backchannel_logout_session_supported).to.equal(true);
    const { tokens } = await signedUp();
    expect(sidOf(tokens)).to.be.a('string');
  });

  it("is sent when the person signs out through the app's own logout (RP-initiated)", async () => {
    const { rp, browser, tokens } = await signedUp();
    const url = client.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token as string });
    const confirm = await browser.get(url.toString());
    const form = formByAction(confirm.data, '/logout/confirm');
    await browser.post(form.action, { ...form.fields, logout: 'yes' });

    const [token] = await receiver.next();
    const claims = await verified(token as string);
    expect(claims.sid).to.equal(sidOf(tokens));
    expect(claims.sub).to.equal(tokens.claims()?.sub);
  });

  it('is sent for the device signed out from the devices page, whose refresh token then fails', async () => {
    const here = await signedUp();
    const there = await elsewhere(here.person);
    const page = pageOf(await here.browser.follow(await here.browser.get('/account')));
    const handle = server.latchkey.accountSessions.handleOf(await sessionCookie(there.browser));
    const out = await here.browser.submit(page, `/account/devices/s.${handle}/sign-out`);
    expect(out.status).to.equal(200);
    expect(out.data).to.include('That device was signed out.');

    const [token] = await receiver.next();
    expect((await verified(token as string)).sid).to.equal(sidOf(there.tokens));
    const gone = await refresh(server.issuer, app(), there.tokens.refresh_token as string);
    expect(gone.data.error).to.equal('invalid_grant');
    const kept = await refresh(server.issuer, app(), here.tokens.refresh_token as string);
    expect(kept.status).to.equal(200);
  });

  it('is sent to every other session on "sign out everywhere else"', async () => {
    const here = await signedUp();
    const others = [await elsewhere(here.person), await elsewhere(here.person)];
    const page = pageOf(await here.browser.follow(await here.browser.get('/account')));
    const out = await here.browser.submit(page, '/account/devices/others/sign-out');
    expect(out.data).to.include('You were signed out everywhere else.');

    const sids = await Promise.all(
      (await receiver.next(2)).map(async (t) => (await verified(t)).sid),
    );
    expect(sids.sort()).to.deep.equal(others.map((o) => sidOf(o.tokens)).sort());
    for (const o of others) {
      const gone = await refresh(server.issuer, app(), o.tokens.refresh_token as string);
      expect(gone.data.error).to.equal('invalid_grant');
    }
  });

  it('is sent to the other sessions when the password changes', async () => {
    const here = await signedUp();
    const there = await elsewhere(here.person);
    const page = pageOf(await here.browser.follow(await here.browser.get('/account')));
    await here.browser.submit(page, '/account/password', {
      current_password: here.person.password,
      new_password: 'another long passphrase',
    });
    const [token] = await receiver.next();
    expect((await verified(token as string)).sid).to.equal(sidOf(there.tokens));
  });

  it('is sent when an app signs a device out through DELETE /api/me/sessions/:id', async () => {
    const resource = `${server.issuer}/api`;
    const here = await signUpAndAuthorize(
      server.issuer,
      app(),
      { scope: 'openid profile email', resource },
      { resource },
    );
    const there = await elsewhere(here.person);
    const bearer = { authorization: `Bearer ${here.tokens.access_token}` };
    const listed = await http.get(`${resource}/me/sessions`, { headers: bearer });
    expect(listed.status).to.equal(200);
    const other = listed.data.sessions.find((s: { current: boolean }) => !s.current);
    const gone = await http.delete(`${resource}/me/sessions/${other.id}`, { headers: bearer });
    expect(gone.status).to.equal(204);
    const [token] = await receiver.next();
    expect((await verified(token as string)).sid).to.equal(sidOf(there.tokens));
  });

  it('is sent for a bare refresh-token grant (sub only, no sid) when it is signed out', async () => {
    const here = await signedUp();
    const offline = await elsewhere(here.person);
    // The app's own logout ends that browser's session; its offline grant lives on.
    const url = client.buildEndSessionUrl(offline.rp, {
      id_token_hint: offline.tokens.id_token as string,
    });
    const confirm = await offline.browser.get(url.toString());
    const form = formByAction(confirm.data, '/logout/confirm');
    await offline.browser.post(form.action, { ...form.fields, logout: 'yes' });
    await receiver.next();

    const accountId = here.tokens.claims()?.sub as string;
    const entries = await server.latchkey.devices.list(accountId);
    const bare = entries.find((e) => e.kind === 'app');
    expect(bare?.apps.map((a) => a.name)).to.deep.equal(['Shop']);
    expect(await server.latchkey.devices.signOut(accountId, bare?.id as string)).to.equal(true);
    const [token] = await receiver.next();
    const claims = await verified(token as string);
    expect(claims.sub).to.equal(accountId);
    expect(claims).not.to.have.property('sid');
    const gone = await refresh(server.issuer, app(), offline.tokens.refresh_token as string);
    expect(gone.data.error).to.equal('invalid_grant');
  });

  it('retries a delivery the app refused, and logs each attempt with the client id', async () => {
    const here = await signedUp();
    const there = await elsewhere(here.person);
    receiver.failNext(1);
    const accountId = here.tokens.claims()?.sub as string;
    const handle = server.latchkey.accountSessions.handleOf(await sessionCookie(there.browser));
    await server.latchkey.devices.signOut(accountId, `s.${handle}`);
    const [token] = await receiver.next();
    expect((await verified(token as string)).sid).to.equal(sidOf(there.tokens));
    await server.latchkey.backchannel.settled();
    const events = server.logs.filter(
      (l) => l.client === 'bc-app' && l.sid === sidOf(there.tokens),
    );
    expect(events.map((l) => l.event)).to.deep.equal([
      'backchannel.retry',
      'backchannel.delivered',
    ]);
  });

  it('is sent by the operator revoking sessions from the CLI', async function () {
    this.timeout(60_000);
    const here = await signedUp();
    const cli = (args: string[]) => runCli(args, { env: cliEnv(server) });
    const listed = await cli(['sessions:list', '--email', here.person.email]);
    expect(listed.status, listed.stderr).to.equal(0);
    const id = /^(s\.\S+)/m.exec(listed.stdout)?.[1] as string;
    expect(listed.stdout).to.include('browser').and.include('password').and.include('bc-app');

    const revoked = await cli(['sessions:revoke', '--email', here.person.email, '--session', id]);
    expect(revoked.status, revoked.stderr).to.equal(0);
    const [token] = await receiver.next();
    expect((await verified(token as string)).sid).to.equal(sidOf(here.tokens));
    const gone = await refresh(server.issuer, app(), here.tokens.refresh_token as string);
    expect(gone.data.error).to.equal('invalid_grant');

    const again = await elsewhere(here.person);
    const all = await cli(['sessions:revoke', '--email', here.person.email, '--all']);
    expect(all.stdout).to.include('Ended 1 session(s)');
    const [last] = await receiver.next();
    expect((await verified(last as string)).sid).to.equal(sidOf(again.tokens));
    const none = await cli(['sessions:list', '--email', here.person.email]);
    expect(none.stdout.trim()).to.equal('No sessions.');
  });
});

/** The environment the server runs with, for a CLI process working on the same stores. */
function cliEnv(server: TestServer): Record<string, string> {
  return serverEnv({
    namespace: server.namespace,
    issuer: server.issuer,
    clientsFile: server.config.clientsFile as string,
    keyEncryptionKeys: server.keyEncryptionKeys,
    extra: { BACKCHANNEL_ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'warn' },
  });
}

describe('back-channel logout by default', () => {
  let receiver: LogoutReceiver;
  before(async () => {
    receiver = await startLogoutReceiver();
  });
  after(() => receiver.close());
  const server = useServer(() => ({
    clients: [appWith(receiver)],
    backchannelBackoffMs: 10,
  }));

  it('refuses loopback and private addresses, and logs the failure with the client id', async () => {
    const here = await signUpAndAuthorize(server.issuer, appWith(receiver), OFFLINE);
    const accountId = here.tokens.claims()?.sub as string;
    await server.latchkey.devices.signOutOthers(accountId, undefined);
    await server.latchkey.backchannel.settled();
    expect(receiver.tokens).to.have.length(0);
    const failed = server.logs.find((l) => l.event === 'backchannel.failed');
    expect(failed?.client).to.equal('bc-app');
  });
});
