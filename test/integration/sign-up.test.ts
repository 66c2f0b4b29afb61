// Sign-up through the HTML forms: valid, invalid, existing email and malformed requests.
// (Confirmation links, resending and the owner's notice are in email-ownership.test.ts.)
import { expect } from 'chai';
import { formByAction } from '../support/browser.ts';
import { atSignInPage, callbackOf, confirmByMail, exchangeCode, person } from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';

describe('sign-up', () => {
  const client = TEST_CLIENTS.firstParty;

  const server = useServer();

  /** Opens the sign-up page of a fresh authorization request. */
  async function signUpPage() {
    const { rp, browser, auth, login } = await atSignInPage(server.issuer, client);
    const link = /href="(\/interaction\/[^"]+\/signup)"/.exec(login)?.[1] as string;
    const page = await browser.get(link);
    expect(page.status).to.equal(200);
    const form = formByAction(page.data, '/signup');
    return { rp, browser, auth, page: page.data, form };
  }

  it('creates an account that waits for its confirmation link, then returns the person to the app with a verified address', async () => {
    const { rp, browser, auth, form } = await signUpPage();
    const p = person('signup');
    const answer = await browser.post(form.action, { ...form.fields, ...p });
    expect(answer.status).to.equal(200);
    expect(answer.data).to.include('Check your email');
    const waiting = await server.latchkey.accounts.findAccountByEmail(p.email.toUpperCase());
    expect(waiting?.signUpPending).to.equal(true);
    expect(waiting?.passwordHash).to.match(/^\$2[aby]\$04\$/);

    const done = await confirmByMail(browser, p.email);
    const tokens = await exchangeCode(rp, callbackOf(done), auth);
    const claims = tokens.claims();
    expect(claims?.email).to.equal(p.email);
    expect(claims?.name).to.equal(p.name);
    expect(claims?.email_verified).to.equal(true);
    const stored = await server.latchkey.accounts.findAccountByEmail(p.email);
    expect(stored?.id).to.equal(claims?.sub);
    expect(stored?.signUpPending).to.equal(false);
  });

  it('explains every invalid field at once and keeps what was typed, except the password', async () => {
    const { browser, form } = await signUpPage();
    const res = await browser.post(form.action, {
      ...form.fields,
      name: '',
      email: 'not-an-email',
      password: 'short',
    });
    expect(res.status).to.equal(400);
    expect(res.data).to.include('Enter your name.');
    expect(res.data).to.include('Enter a valid email address');
    expect(res.data).to.include('Use at least 8 characters.');
    expect(res.data).to.include('value="not-an-email"');
    expect(res.data).not.to.include('value="short"');
    expect(res.data).to.include('aria-invalid="true"');
  });

  it('accepts a long passphrase but refuses one beyond 72 bytes instead of truncating it', async () => {
    const { browser, form } = await signUpPage();
    const p = person('long');
    const tooLong = 'é'.repeat(37); // 37 characters, 74 bytes
    const refused = await browser.post(form.action, { ...form.fields, ...p, password: tooLong });
    expect(refused.status).to.equal(400);
    expect(refused.data).to.include('at most 72 bytes');

    const next = formByAction(refused.data, '/signup');
    const passphrase = 'a quiet river runs under the old stone bridge at dawn'; // 53 bytes
    const ok = await browser.post(next.action, { ...next.fields, ...p, password: passphrase });
    expect(ok.status).to.equal(200);
    expect(ok.data).to.include('Check your email');
  });

  it('refuses common and personal passwords, saying why', async () => {
    const { browser, form } = await signUpPage();
    const p = person('quillfeather');
    const common = await browser.post(form.action, {
      ...form.fields,
      ...p,
      password: 'passwordpassword',
    });
    expect(common.status).to.equal(400);
    expect(common.data).to.include('lists of leaked and commonly used passwords');
    const next = formByAction(common.data, '/signup');
    const personal = await browser.post(next.action, {
      ...next.fields,
      ...p,
      password: 'Quillfeather2024!',
    });
    expect(personal.status).to.equal(400);
    expect(personal.data).to.include('made from your email address or name');
    expect(await server.latchkey.accounts.findAccountByEmail(p.email)).to.equal(null);
  });

  it('escapes what people type when showing it back', async () => {
    const { browser, form } = await signUpPage();
    const res = await browser.post(form.action, {
      ...form.fields,
      name: '<script>alert(1)</script>',
      email: '"><img src=x onerror=alert(1)>',
      password: 'x',
    });
    expect(res.status).to.equal(400);
    expect(res.data).not.to.include('<script>alert(1)</script>');
    expect(res.data).not.to.include('<img src=x');
    expect(res.data).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  describe('malformed requests get a 4xx page, never a 500', () => {
    it('refuses JSON bodies with 415', async () => {
      const { browser, form } = await signUpPage();
      const res = await browser.request('POST', form.action, {
        data: JSON.stringify({ ...form.fields, ...person() }),
        headers: { 'content-type': 'application/json', origin: server.issuer },
      });
      expect(res.status).to.equal(415);
      expect(res.data).to.include('application/x-www-form-urlencoded');
    });

    it('refuses multipart bodies with 415', async () => {
      const { browser, form } = await signUpPage();
      const res = await browser.request('POST', form.action, {
        data: '--b\r\nContent-Disposition: form-data; name="email"\r\n\r\nx\r\n--b--\r\n',
        headers: { 'content-type': 'multipart/form-data; boundary=b', origin: server.issuer },
      });
      expect(res.status).to.equal(415);
    });

    it('refuses a field sent twice (an array) with 400', async () => {
      const { browser, form } = await signUpPage();
      const p = person();
      const body = `${new URLSearchParams({ ...form.fields, ...p })}&email=second%40example.com`;
      const res = await browser.request('POST', form.action, {
        data: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.issuer },
      });
      expect(res.status).to.equal(400);
      expect(res.data).to.include('more than once');
    });

    it('treats bracketed (object-like) field names as missing fields', async () => {
      const { browser, form } = await signUpPage();
      const res = await browser.post(form.action, {
        ...form.fields,
        'email[address]': 'a@example.com',
        'name[first]': 'A',
        password: 'long enough password',
      });
      expect(res.status).to.equal(400);
      expect(res.data).to.include('Enter your email address.');
    });

    it('refuses oversized bodies with 413', async () => {
      const { browser, form } = await signUpPage();
      const res = await browser.post(form.action, {
        ...form.fields,
        ...person(),
        name: 'x'.repeat(20_000),
      });
      expect(res.status).to.equal(413);
    });

    it('refuses fields longer than any real input with 400', async () => {
      const { browser, form } = await signUpPage();
      const res = await browser.post(form.action, {
        ...form.fields,
        ...person(),
        password: 'p'.repeat(5000),
      });
      expect(res.status).to.equal(400);
    });

    it('refuses a body that is not UTF-8 with 400', async () => {
      const { browser, form } = await signUpPage();
      const res = await browser.request('POST', form.action, {
        data: Buffer.concat([
          Buffer.from(`${new URLSearchParams({ ...form.fields, ...person() })}&x=`),
          Buffer.from([0xff, 0xfe]),
        ]),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.issuer },
      });
      expect(res.status).to.equal(400);
      expect(res.data).to.include('UTF-8');
    });
  });
});
