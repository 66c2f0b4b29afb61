// Sign-in with Google, Facebook and X against local fakes that speak their real protocols.

import { expect } from 'chai';
import { Browser, formByAction } from '../support/browser.ts';
import {
  atLinkPage,
  atSignInPage,
  atSignUpPage,
  authorizationUrl,
  callbackOf,
  exchangeCode,
  pageOf,
  person,
  profileOf,
  relyingParty,
  verifiedProfile,
  viaUpstream,
  visit,
} from '../support/oidc.ts';
import {
  accountFor,
  startTestServer,
  TEST_CLIENTS,
  useServerWithUpstreams,
} from '../support/server.ts';

/** The words on each upstream's button, as its branding guidelines ask. */
const BUTTONS = {
  google: 'Sign in with Google',
  facebook: 'Continue with Facebook',
  x: 'Sign in with X',
};

describe('sign-in with upstream providers', () => {
  const { server, upstreams } = useServerWithUpstreams({
    env: { UPSTREAM_TIMEOUT_MS: '1500', X_REQUEST_EMAIL: 'true' },
  });
  const c = TEST_CLIENTS.firstParty;
  beforeEach(() => upstreams.reset());

  /** A browser on the sign-in page of a fresh authorization request. */
  async function atSignIn() {
    const { rp, browser, auth, login } = await atSignInPage(server.issuer, c);
    return { rp, browser, auth, login };
  }

  async function signInWith(provider: string) {
    const { rp, browser, auth, login } = await atSignIn();
    const step = await viaUpstream(browser, login, provider);
    const tokens = await exchangeCode(rp, callbackOf(step), auth);
    return { browser, tokens, claims: tokens.claims() };
  }

  it('shows a button per enabled provider on the sign-in and sign-up pages', async () => {
    const { browser, login } = await atSignIn();
    for (const label of Object.values(BUTTONS)) expect(login).to.include(label);
    // Without UPSTREAM_ORDER the buttons follow the registry.
    const at = (id: string) => login.indexOf(`/federated/${id}"`);
    expect(at('google')).to.be.lessThan(at('facebook'));
    expect(at('facebook')).to.be.lessThan(at('x'));
    const signup = await browser.get(
      /href="(\/interaction\/[^"]+\/signup)"/.exec(login)?.[1] as string,
    );
    expect(signup.data).to.include(BUTTONS.google);
  });

  describe('Google', () => {
    it('creates an account on first sign-in, finds it on the second, and refreshes the profile', async () => {
      const who = person('google');
      upstreams.google.signInAs({
        sub: '1000001',
        ...profileOf(who, true),
        picture: 'https://lh3.example.com/a.png',
      });
      const first = await signInWith('google');
      expect(first.claims).to.include({
        email: who.email,
        email_verified: true,
        name: who.name,
        picture: 'https://lh3.example.com/a.png',
      });
      const request = upstreams.google.authorizations.at(-1) ?? {};
      expect(request.code_challenge_method).to.equal('S256');
      expect(request.nonce).to.be.a('string');
      expect(request.state).to.be.a('string');

      upstreams.google.signInAs({
        sub: '1000001',
        name: 'Renamed Person',
        email: who.email,
        emailVerified: true,
      });
      const second = await signInWith('google');
      expect(second.claims?.sub).to.equal(first.claims?.sub);
      expect(second.claims?.name).to.equal('Renamed Person');
    });

    it('takes the place of a sign-up nobody confirmed for the address it verified', async () => {
      const who = person('prehijack');
      // Someone signs up with this address and a password of their choosing, and never confirms.
      const { browser, form } = await atSignUpPage(server.issuer, c);
      const answer = await browser.post(form.action, {
        ...form.fields,
        ...who,
        password: 'typed by someone else',
      });
      expect(answer.status).to.equal(200);
      const waiting = await server.latchkey.accounts.findAccountByEmail(who.email);
      expect(waiting?.signUpPending).to.equal(true);

      upstreams.google.signInAs({ sub: '1000009', ...profileOf(who, true) });
      const { claims } = await signInWith('google');
      expect(claims).to.include({ email: who.email, email_verified: true });
      expect(claims?.sub).not.to.equal(waiting?.id);
      const now = await server.latchkey.accounts.findAccountByEmail(who.email);
      expect(now?.id).to.equal(claims?.sub);
      expect(now?.passwordHash).to.equal(null);
    });

    it('accepts the legacy issuer spelling in a correctly signed id_token', async () => {
      upstreams.google.signInAs({
        sub: '1000002',
        name: 'Legacy',
        email: person().email,
        emailVerified: true,
        legacyIssuer: true,
      });
      const { claims } = await signInWith('google');
      expect(claims?.name).to.equal('Legacy');
    });

    it('admits only accounts of the configured Workspace domain, judged by the signed hd claim', async () => {
      const fresh = await startTestServer({
        env: { ...upstreams.env, GOOGLE_HOSTED_DOMAIN: 'example.com' },
      });
      upstreams.register(fresh.issuer);
      try {
        const rp = await relyingParty(fresh.issuer, c);
        const attempt = async (hd: string | undefined) => {
          const browser = new Browser(fresh.issuer);
          const auth = await authorizationUrl(rp, c.redirect_uris[0]);
          const login = pageOf(await visit(browser, auth.url));
          upstreams.google.signInAs({
            sub: `hd-${hd}`,
            name: 'W',
            email: person().email,
            emailVerified: true,
            ...(hd ? { hd } : {}),
          });
          return viaUpstream(browser, login, 'google');
        };
        const outsider = await attempt('elsewhere.com');
        expect(outsider.response.status).to.equal(403);
        expect(outsider.response.data).to.include('Only Google accounts of example.com');
        expect(upstreams.google.authorizations.at(-1)?.hd).to.equal('example.com');
        expect((await attempt(undefined)).response.status).to.equal(403);
        expect(callbackOf(await attempt('example.com')).searchParams.get('code')).to.be.a('string');
      } finally {
        await fresh.stop();
        upstreams.register(server.issuer);
      }
    });

    it('treats an email Google has not verified as unverified', async () => {
      const who = person('gunverified');
      upstreams.google.signInAs({
        sub: '1000003',
        ...profileOf(who, false),
      });
      const { claims } = await signInWith('google');
      expect(claims).to.include({ email: who.email, email_verified: false });
    });
  });

  describe('Facebook', () => {
    it('signs in with the Graph profile, proving the app secret, and never marks the email verified', async () => {
      const who = person('fb');
      upstreams.facebook.signInAs({
        sub: '20000001',
        ...profileOf(who),
        picture: 'https://fb.example.com/p.jpg',
      });
      const first = await signInWith('facebook');
      expect(first.claims).to.include({ email: who.email, email_verified: false, name: who.name });
      const me = upstreams.facebook.requests.find((r) => r.path.includes('/me?'));
      expect(me?.path).to.include('appsecret_proof=');
      expect(me?.path).to.match(/fields=id%2Cname%2Cemail/);
      const second = await signInWith('facebook');
      expect(second.claims?.sub).to.equal(first.claims?.sub);
    });

    it('binds the code to the attempt with PKCE S256, so the token request must carry the verifier', async () => {
      upstreams.facebook.signInAs({ sub: '20000002', name: 'Pkce Person', email: person().email });
      const { claims } = await signInWith('facebook');
      expect(claims?.name).to.equal('Pkce Person');
      const dialog = upstreams.facebook.authorizations.at(-1) ?? {};
      expect(dialog.code_challenge_method).to.equal('S256');
      expect(dialog.code_challenge).to.match(/^[A-Za-z0-9_-]{43}$/);
      const token = upstreams.facebook.requests.find((r) => r.path.includes('/oauth/access_token'));
      expect(token?.body ?? '').to.match(/(^|&)code_verifier=[A-Za-z0-9._~-]{43,128}(&|$)/);
    });
  });

  describe('X', () => {
    it('counts a confirmed X email as verified when the users.email scope is granted', async () => {
      const who = person('xmail');
      upstreams.x.signInAs({
        sub: '30000002',
        ...profileOf(who),
        username: 'xmail',
      });
      const { claims } = await signInWith('x');
      expect(claims).to.include({ email: who.email, email_verified: true });
      expect(upstreams.x.authorizations.at(-1)?.scope).to.include('users.email');
    });

    it('signs in without an email, using PKCE and HTTP Basic client authentication', async () => {
      upstreams.x.signInAs({ sub: '30000001', name: 'X Person', username: 'xperson' });
      const first = await signInWith('x');
      expect(first.claims?.name).to.equal('X Person');
      expect(first.claims).not.to.have.property('email');
      const token = upstreams.x.requests.find((r) => r.path.startsWith('/2/oauth2/token'));
      expect(String(token?.headers.authorization)).to.match(/^Basic /);
      expect(token?.body).to.include('code_verifier=');
      const second = await signInWith('x');
      expect(second.claims?.sub).to.equal(first.claims?.sub);
    });
  });

  describe('when things go wrong', () => {
    it('returns to the sign-in page with a clear message when the person declines', async () => {
      for (const provider of ['google', 'facebook', 'x'] as const) {
        upstreams[provider].signInAs({ sub: '4', name: 'D', email: person().email });
        upstreams[provider].failNext('deny');
        const { browser, login } = await atSignIn();
        const step = await viaUpstream(browser, login, provider);
        expect(step.response.status, provider).to.equal(200);
        expect(step.response.data, provider).to.include('You cancelled signing in with');
        expect(step.response.data).to.include('/login');
      }
    });

    it('says the provider is unavailable (503) when its token endpoint fails or times out', async () => {
      for (const [provider, kind] of [
        ['google', 'token_5xx'],
        ['facebook', 'token_5xx'],
        ['x', 'token_timeout'],
        ['facebook', 'profile_5xx'],
        ['x', 'authorize_error'],
      ] as const) {
        upstreams.reset();
        upstreams[provider].signInAs({ sub: '5', name: 'U', email: person().email });
        upstreams[provider].failNext(kind);
        const { browser, login } = await atSignIn();
        const step = await viaUpstream(browser, login, provider);
        expect(step.response.status, `${provider} ${kind}`).to.equal(503);
        expect(step.response.data).to.include('unavailable');
        expect(step.response.data).not.to.match(/at .+\.(js|ts):\d+/);
      }
    });

    it('says Google is unavailable when its discovery document cannot be fetched', async () => {
      const fresh = await startTestServer({
        env: { ...upstreams.env, GOOGLE_ISSUER: 'http://127.0.0.1:9' },
      });
      try {
        const { browser, login } = await atSignInPage(fresh.issuer, c);
        const res = await browser.submit(login, '/federated/google');
        expect(res.status).to.equal(503);
        expect(res.data).to.include('Google is unavailable');
      } finally {
        await fresh.stop();
      }
    });

    it('refuses a replayed callback and a forged state', async () => {
      upstreams.google.signInAs({
        sub: '6',
        name: 'R',
        email: person().email,
        emailVerified: true,
      });
      const { browser, login } = await atSignIn();
      const out = await browser.follow(await browser.submit(login, '/federated/google'));
      const answer = await browser.get((out.external as URL).toString());
      const callback = answer.headers.location as string;
      const done = await browser.follow(await browser.get(callback));
      expect(done.external?.searchParams.get('code')).to.be.a('string');

      const replay = await browser.get(callback);
      expect(replay.status).to.equal(400);
      expect(replay.data).to.include('expired or already used');

      const forged = new URL(callback);
      forged.searchParams.set('state', 'A'.repeat(43));
      expect((await browser.get(forged.toString())).status).to.equal(400);
    });

    it("refuses a callback carried into another person's browser", async () => {
      upstreams.google.signInAs({
        sub: '7',
        name: 'V',
        email: person().email,
        emailVerified: true,
      });
      const victim = await atSignIn();
      const out = await victim.browser.follow(
        await victim.browser.submit(victim.login, '/federated/google'),
      );
      const answer = await victim.browser.get((out.external as URL).toString());
      const attacker = new Browser(server.issuer);
      const stolen = await attacker.follow(await attacker.get(answer.headers.location as string));
      expect(stolen.external).to.equal(undefined);
      expect(stolen.response.status).to.equal(400);
    });

    it('refuses to start an upstream sign-in posted from another site', async () => {
      const { browser, login } = await atSignIn();
      const form = formByAction(login, '/federated/google');
      const res = await browser.post(form.action, form.fields, {
        'sec-fetch-site': 'cross-site',
        origin: 'https://evil.example',
      });
      expect(res.status).to.equal(403);
      expect(res.data).to.include('another site');
    });

    it('rejects a provider that is not enabled with a 404', async () => {
      const { browser, login } = await atSignIn();
      const form = formByAction(login, '/federated/google');
      const res = await browser.post(form.action.replace('/google', '/github'), form.fields);
      expect(res.status).to.equal(404);
    });
  });

  describe('linking to an existing account', () => {
    it('links a verified Google email only after the owner proves the password', async () => {
      const who = await accountFor(server, 'owner');
      upstreams.google.signInAs({
        sub: '8000001',
        name: 'Google Name',
        email: who.email.toUpperCase(),
        emailVerified: true,
      });
      const { rp, browser, auth, login } = await atSignIn();
      const step = await viaUpstream(browser, login, 'google');
      const linkPage = pageOf(step);
      expect(linkPage).to.include('Link Google to your account');
      expect(await server.latchkey.upstreamAccounts.identities(who.id)).to.deep.equal([]);

      const wrong = await browser.submit(linkPage, '/link', { password: 'not the right one' });
      expect(wrong.status).to.equal(401);
      const right = await browser.follow(
        await browser.submit(wrong.data, '/link', { password: who.password }),
      );
      const tokens = await exchangeCode(rp, callbackOf(right), auth);
      expect(tokens.claims()?.sub).to.equal(who.id);
      expect(tokens.claims()?.email_verified).to.equal(true);

      // From now on Google signs straight in to the same account.
      const again = await signInWith('google');
      expect(again.claims?.sub).to.equal(who.id);
    });

    it('never links on an unverified Facebook email; the person may create a separate account', async () => {
      const who = await accountFor(server, 'owner');
      upstreams.facebook.signInAs({ sub: '8000002', name: 'Impostor', email: who.email });
      const { rp, browser, auth, linkPage } = await atLinkPage(server.issuer, c, 'facebook');
      expect(linkPage).to.include('Link Facebook to your account');
      const separate = await browser.follow(await browser.submit(linkPage, '/link/separate'));
      const tokens = await exchangeCode(rp, callbackOf(separate), auth);
      expect(tokens.claims()?.sub).not.to.equal(who.id);
      expect(tokens.claims()).not.to.have.property('email');
      expect(await server.latchkey.upstreamAccounts.identities(who.id)).to.deep.equal([]);
    });

    it('accepts sign-in with an already linked provider as proof for a new link', async () => {
      const email = person('multi').email;
      upstreams.google.signInAs({ sub: '8000003', name: 'Multi', email, emailVerified: true });
      const first = await signInWith('google');
      // The Google-only account has no password; the person proves it with Google.
      upstreams.facebook.signInAs({ sub: '8000004', name: 'Multi on Facebook', email });
      const { rp, browser, auth, linkPage } = await atLinkPage(server.issuer, c, 'facebook');
      expect(linkPage).to.include(BUTTONS.google);
      // A password is no way into an account that has none: it fails like a wrong one.
      const guess = await browser.submit(linkPage, '/link', { password: 'any password at all' });
      expect(guess.status).to.equal(401);
      expect(guess.data).to.include('That password does not sign in to that account.');
      const proof = await viaUpstream(browser, linkPage, 'google');
      const tokens = await exchangeCode(rp, callbackOf(proof), auth);
      expect(tokens.claims()?.sub).to.equal(first.claims?.sub);
      // Facebook now signs straight in to the same account.
      const again = await signInWith('facebook');
      expect(again.claims?.sub).to.equal(first.claims?.sub);
    });

    it('shows the same link page whatever ways to sign in the matching account has', async () => {
      // One account with a password only, one with Google only: an unauthenticated visitor
      // arriving from Facebook with either email must not learn which.
      const withPassword = await accountFor(server, 'pwonly');
      const googleEmail = person('googleonly').email;
      upstreams.google.signInAs({
        sub: '8000010',
        name: 'G',
        email: googleEmail,
        emailVerified: true,
      });
      await signInWith('google');
      const linkPageFor = async (email: string, sub: string) => {
        upstreams.facebook.signInAs({ sub, name: 'Visitor', email });
        return (await atLinkPage(server.issuer, c, 'facebook')).linkPage;
      };
      const a = await linkPageFor(withPassword.email, '8000011');
      const b = await linkPageFor(googleEmail, '8000012');
      // Only what differs by request or was typed by the visitor: uid, CSRF token, nonce, request
      // id, the email itself.
      const neutral = (html: string, email: string) =>
        html
          .replaceAll(email, 'EMAIL')
          .replace(/\/interaction\/[A-Za-z0-9_-]+\//g, '/interaction/UID/')
          .replace(/name="csrf" value="[^"]+"/g, 'name="csrf" value="CSRF"')
          .replace(/nonce="[^"]+"/g, 'nonce="NONCE"')
          .replace(/<code>[0-9a-f-]{36}<\/code>/g, '<code>REQUEST</code>');
      expect(neutral(a, withPassword.email)).to.equal(neutral(b, googleEmail));
      expect(a).to.include('name="password"');
      for (const label of [BUTTONS.google, BUTTONS.x]) expect(a).to.include(label);
    });

    it('does not link when the person proves a different account than the one with the email', async () => {
      const email = person('mismatch').email;
      upstreams.google.signInAs({ sub: '8000005', name: 'Owner', email, emailVerified: true });
      const owner = await signInWith('google');
      upstreams.facebook.signInAs({ sub: '8000006', name: 'Someone', email });
      const { rp, browser, auth, linkPage } = await atLinkPage(server.issuer, c, 'facebook');
      // Signing in to some other Google account is no proof for the account with this email.
      upstreams.google.signInAs({
        sub: '8000007',
        name: 'Other',
        email: person('other').email,
        emailVerified: true,
      });
      const other = await viaUpstream(browser, linkPage, 'google');
      const tokens = await exchangeCode(rp, callbackOf(other), auth);
      expect(tokens.claims()?.sub).not.to.equal(owner.claims?.sub);
      const identities = await server.latchkey.upstreamAccounts.identities(
        owner.claims?.sub as string,
      );
      expect(identities.map((i) => i.upstream)).to.deep.equal(['google']);
    });
  });

  describe('the account page', () => {
    async function accountPage(browser: Browser) {
      return (await browser.get('/account')).data;
    }

    it('lists linked providers and removes one while another way to sign in remains', async () => {
      const email = person('unlink').email;
      upstreams.google.signInAs({ sub: '9000001', name: 'Two Ways', email, emailVerified: true });
      const { browser } = await signInWith('google');
      upstreams.facebook.signInAs({ sub: '9000002', name: 'Two Ways', email });
      // Link Facebook by proving the account with Google.
      const { browser: second, login } = await atSignIn();
      const linkPage = pageOf(await viaUpstream(second, login, 'facebook'));
      await viaUpstream(second, linkPage, 'google');

      let page = await accountPage(browser);
      expect(page).to.include('<strong>Google</strong>');
      expect(page).to.include('<strong>Facebook</strong>');
      const remove = formByAction(page, '/remove');
      const removed = await browser.post(remove.action, remove.fields);
      expect(removed.status).to.equal(303);

      page = await accountPage(browser);
      expect(page).to.include('(your only way to sign in)');
      expect(page).not.to.include('/remove');
    });

    it('refuses to remove the last way to sign in, even from a stale page', async () => {
      const email = person('stale').email;
      upstreams.google.signInAs({ sub: '9000005', name: 'Stale', email, emailVerified: true });
      const { browser } = await signInWith('google');
      upstreams.facebook.signInAs({ sub: '9000006', name: 'Stale', email });
      const { browser: second, login } = await atSignIn();
      await viaUpstream(second, pageOf(await viaUpstream(second, login, 'facebook')), 'google');

      // Two removal buttons on a page loaded while both providers were linked.
      const stale = await accountPage(browser);
      const forms = [...stale.matchAll(/action="(\/account\/identities\/[^"]+\/remove)"/g)].map(
        (m) => m[1] as string,
      );
      expect(forms).to.have.length(2);
      const csrf = /name="csrf" value="([^"]+)"/.exec(stale)?.[1] as string;
      expect((await browser.post(forms[0] as string, { csrf })).status).to.equal(303);
      const last = await browser.post(forms[1] as string, { csrf });
      expect(last.status).to.equal(409);
      expect(last.data).to.include('only way to sign in');
      const forged = await browser.post(forms[1] as string, { csrf: 'x' });
      expect(forged.status).to.equal(403);
    });

    it('lets a Google-only account set a first password, which then signs in', async () => {
      const email = person('setpw').email;
      upstreams.google.signInAs({ sub: '9000010', name: 'Set Pw', email, emailVerified: true });
      const { browser } = await signInWith('google');
      const page = await accountPage(browser);
      expect(page).to.include('Set a password');
      expect(page).not.to.include('current_password');
      const saved = await browser.submit(page, '/account/password', {
        new_password: 'my first real passphrase',
      });
      expect(saved.status).to.equal(200);
      const profile = await server.latchkey.accounts.signInWithPassword({
        email,
        password: 'my first real passphrase',
        source: 'test',
      });
      // Now Google can be removed: the password remains as a way to sign in.
      expect(await accountPage(browser)).to.include('/remove');
      expect(profile.email).to.equal(email);
    });

    it('offers no password form to an account without an email', async () => {
      upstreams.x.signInAs({ sub: '9000011', name: 'No Mail', username: 'nomail' });
      const { browser } = await signInWith('x');
      const page = await accountPage(browser);
      expect(page).to.include('has no email address');
      expect(page).not.to.include('action="/account/password"');
    });

    it('keeps the password account able to drop its only linked provider', async () => {
      const who = await accountFor(server, 'pwlinked');
      upstreams.google.signInAs({ sub: '9000004', ...verifiedProfile(who) });
      const { browser, linkPage } = await atLinkPage(server.issuer, c, 'google');
      await browser.follow(await browser.submit(linkPage, '/link', { password: who.password }));
      const page = await accountPage(browser);
      const remove = formByAction(page, '/remove');
      expect((await browser.post(remove.action, remove.fields)).status).to.equal(303);
      expect(await server.latchkey.upstreamAccounts.identities(who.id)).to.deep.equal([]);
    });
  });
});
