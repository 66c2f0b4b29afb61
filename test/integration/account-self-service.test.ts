// The account page as a newcomer uses it: editing the profile, its confirmed address,
// and linking another upstream (Google, Facebook, X) through its usual flow.
import type { AxiosResponse } from 'axios';
import { expect } from 'chai';
import { Browser, formByAction } from '../support/browser.ts';
import { pageOf, person, signUp } from '../support/oidc.ts';
import { useServerWithUpstreams } from '../support/server.ts';

type Step = { response: AxiosResponse<string>; external?: URL };

describe('the account page, self-service', () => {
  const { server, upstreams } = useServerWithUpstreams({ env: { X_REQUEST_EMAIL: 'true' } });
  beforeEach(() => upstreams.reset());

  /** A new person signed up with a password through the account page; returns the page. */
  async function signedUp(label: string) {
    const browser = new Browser(server.issuer);
    const who = person(label);
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    const page = (await signUp(browser, login, who)).response.data;
    return { browser, who, page };
  }

  const accountPage = async (browser: Browser) => (await browser.get('/account')).data;

  /** Lets the fake upstream answer and follows its redirect back into Latchkey. */
  async function throughUpstream(browser: Browser, out: Step): Promise<Step> {
    if (!out.external) return out;
    const answer = await browser.get(out.external.toString());
    const back = answer.headers.location as string | undefined;
    if (!back) return { response: answer };
    return browser.follow(await browser.get(back));
  }

  /** Presses "Link <upstream>" and goes through the upstream. */
  async function link(browser: Browser, page: string, upstream: string): Promise<Step> {
    const out = await browser.follow(await browser.submit(page, `/account/link/${upstream}`));
    return throughUpstream(browser, out);
  }

  /** Moves the browser's sign-in back in time, as if it was made long ago. */
  async function ageSignIn(browser: Browser) {
    const cookies = await browser.jar.getCookies(`${server.issuer}/account`);
    const cookie = cookies.find((c) => c.key === 'latchkey.session')?.value;
    const session = await server.latchkey.provider.Session.find(cookie ?? '');
    if (!session?.loginTs) throw new Error('no session');
    session.loginTs -= 600;
    await session.persist();
  }

  describe('the profile form', () => {
    it('changes the name and picture, with the rules of PATCH /api/me', async () => {
      const { browser, who, page } = await signedUp('profile');
      const saved = await browser.submit(page, '/account/profile', {
        name: '  Ada   Lovelace ',
        picture: 'https://example.com/ada.png',
      });
      expect(saved.status).to.equal(200);
      expect(saved.data).to.include('Your profile was saved.');
      expect(saved.data).to.include('Ada Lovelace');
      const stored = await server.latchkey.accounts.findProfile(await idOf(who.email));
      expect(stored).to.include({ name: 'Ada Lovelace', picture: 'https://example.com/ada.png' });

      const refused = await browser.submit(saved.data, '/account/profile', {
        name: 'Still Ada',
        picture: 'http://example.com/plain.png',
      });
      expect(refused.status).to.equal(400);
      expect(refused.data).to.include('The picture must be an https URL.');
      // What was typed stays in the form; nothing was saved.
      expect(refused.data).to.include('value="http://example.com/plain.png"');
      expect(refused.data).to.include('value="Still Ada"');
      const unchanged = await server.latchkey.accounts.findProfile(await idOf(who.email));
      expect(unchanged?.name).to.equal('Ada Lovelace');

      // An empty picture field removes the picture; an empty name is refused.
      const cleared = await browser.submit(saved.data, '/account/profile', {
        name: 'Ada',
        picture: '',
      });
      expect(cleared.status).to.equal(200);
      expect((await server.latchkey.accounts.findProfile(await idOf(who.email)))?.picture).to.equal(
        null,
      );
      const noName = await browser.submit(cleared.data, '/account/profile', { name: ' ' });
      expect(noName.status).to.equal(400);
      expect(noName.data).to.include('Enter your name.');
    });

    it('refuses a profile change without the page token or from another site', async () => {
      const { browser, page } = await signedUp('profile-csrf');
      const form = formByAction(page, '/account/profile');
      const forged = await browser.post(form.action, { ...form.fields, csrf: 'forged', name: 'X' });
      expect(forged.status).to.equal(403);
      const crossSite = await browser.post(
        form.action,
        { ...form.fields, name: 'From afar' },
        { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      );
      expect(crossSite.status).to.equal(403);
      expect(await accountPage(browser)).to.not.include('From afar');
    });
  });

  it('shows the address as confirmed after sign-up, with a form to change it', async () => {
    const { page } = await signedUp('confirmed');
    expect(page).to.include('· verified');
    expect(page).to.include('action="/account/email"');
    expect(page).to.not.include('action="/account/email/confirm"');
  });

  describe('linking another upstream', () => {
    it('links Google through its usual flow and comes back to the account page with the link', async () => {
      const { browser, page } = await signedUp('link');
      expect(page).to.include('Link Google');
      upstreams.google.signInAs({ sub: '7100001', name: 'Linker', email: person().email });
      const back = await link(browser, page, 'google');
      expect(back.external).to.equal(undefined);
      expect(back.response.request.path).to.equal('/account');
      expect(back.response.data).to.include('Google is now linked');
      expect(back.response.data).to.match(/<strong>Google<\/strong>/);
      // Linked upstreams are no longer offered; the others still are.
      expect(back.response.data).to.not.include('Link Google');
      expect(back.response.data).to.include('Link Facebook');
    });

    it('asks for a recent sign-in first, like removing one', async () => {
      const { browser, page } = await signedUp('link-stale');
      await ageSignIn(browser);
      const res = await browser.submit(page, '/account/link/google');
      expect(res.status).to.equal(403);
      expect(res.data).to.include('Confirm it&#39;s you to continue');
      expect(res.data).to.include('section=methods');
      expect(upstreams.google.authorizations).to.have.length(0);
    });

    it('accepts the answer only once, and only in the session that started it', async () => {
      const { browser, page } = await signedUp('link-bound');
      upstreams.google.signInAs({ sub: '7100002', name: 'Bound', email: person().email });
      const out = await browser.follow(await browser.submit(page, '/account/link/google'));
      const answer = await browser.get((out.external as URL).toString());
      const callback = answer.headers.location as string;

      // Another signed-in person who gets hold of the answer links nothing.
      const { browser: other } = await signedUp('link-thief');
      const stolen = await other.follow(await other.get(callback));
      expect(stolen.response.status).to.equal(400);
      expect(stolen.response.data).to.include('could not be verified');
      // The state was used up by that attempt: the owner's own answer is refused too.
      const late = await browser.follow(await browser.get(callback));
      expect(late.response.status).to.equal(400);
      expect(await accountPage(other)).to.not.include('<strong>Google</strong>');
      expect(await accountPage(browser)).to.not.include('<strong>Google</strong>');
    });

    it('says so when the person cancels at the upstream, or the upstream account is taken', async () => {
      const { browser, page } = await signedUp('link-cancel');
      upstreams.google.failNext('deny');
      const cancelled = await link(browser, page, 'google');
      expect(cancelled.response.data).to.include('Linking Google was cancelled');

      const taken = { sub: '7100003', name: 'Taken', email: person().email };
      upstreams.google.signInAs(taken);
      await link(browser, page, 'google');
      const { browser: second, page: secondPage } = await signedUp('link-taken');
      upstreams.google.signInAs(taken);
      const refused = await link(second, secondPage, 'google');
      expect(refused.response.status).to.equal(409);
      expect(refused.response.data).to.include('already linked to another Latchkey account');
    });
  });

  it('shows the X handle like an email, and no password section without an email', async () => {
    upstreams.x.signInAs({ sub: '7200001', name: 'Handle Person', username: 'handleperson' });
    const browser = new Browser(server.issuer);
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    const out = await browser.follow(await browser.submit(login, '/federated/x'));
    const page = (await throughUpstream(browser, out)).response.data;
    expect(page).to.include('<strong>X</strong></span> (@handleperson)');
    expect(page).to.include('has no email address');
    expect(page).to.not.include('Set a password');
    expect(page).to.not.include('action="/account/password"');
  });

  async function idOf(email: string): Promise<string> {
    const rows = (await server.resources.db.query(
      `SELECT id FROM "${server.namespace}".accounts WHERE email = $1`,
      [email],
    )) as { id: string }[];
    return rows[0]?.id as string;
  }
});
