// Odd and hostile requests get a clear 4xx answer, never a 500, a hang or a stack trace.
import { Agent } from 'node:http';
import { connect } from 'node:net';
import axios from 'axios';
import { expect } from 'chai';
import { formByAction } from '../support/browser.ts';
import { atSignInPage, signUpAndAuthorize } from '../support/oidc.ts';
import { rawRequest } from '../support/raw-http.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';

describe('hostile and malformed requests', () => {
  const http = axios.create({
    validateStatus: () => true,
    maxRedirects: 0,
    responseType: 'text',
    transformResponse: (d: unknown) => d,
    timeout: 10_000,
  });

  const server = useServer();

  const requests: [string, string, { data?: string; headers?: Record<string, string> }?][] = [
    ['GET', '/interaction/%ZZ'],
    ['GET', '/interaction/..%2F..%2Fetc%2Fpasswd'],
    [
      'POST',
      '/interaction/abc/login',
      { data: 'email=a', headers: { 'content-type': 'text/plain' } },
    ],
    ['GET', '/authorize?client_id[]=x&response_type=code'],
    ['GET', `/authorize?client_id=${'x'.repeat(4000)}`],
    ['GET', '/authorize?client_id=first-party-app&response_type=code&response_type=code'],
    [
      'POST',
      '/token',
      {
        data: '{"grant_type":"authorization_code"}',
        headers: { 'content-type': 'application/json' },
      },
    ],
    [
      'POST',
      '/token',
      {
        data: 'grant_type=password&username=a&password=b',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
    ],
    [
      'POST',
      '/token',
      { data: '%%%', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    ],
    ['GET', '/userinfo', { headers: { authorization: 'Bearer' } }],
    ['GET', '/userinfo?access_token=abc'],
    [
      'POST',
      '/token/introspection',
      { data: 'token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    ],
    ['GET', '/logout?id_token_hint=not.a.jwt'],
    ['POST', '/api/me', { data: '{}', headers: { 'content-type': 'application/json' } }],
    [
      'PATCH',
      '/api/me',
      { data: '{}', headers: { authorization: 'Basic YTpi', 'content-type': 'application/json' } },
    ],
    ['GET', '/account/callback?state[]=x'],
    ['GET', '/account/callback?state=x&error=access_denied'],
    [
      'POST',
      '/account/identities/not-a-uuid/remove',
      { data: 'csrf=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    ],
    [
      'POST',
      '/account/identities/00000000-0000-0000-0000-000000000000/remove',
      { data: '', headers: { 'content-type': 'application/json' } },
    ],
    ['GET', '/federation/google/callback?code=x&state=y'],
    ['GET', '/assets/../package.json'],
    ['GET', '/assets/latchkey.css%00.js'],
    ['DELETE', '/account'],
    ['GET', '/.well-known/openid-configuration/../../'],
  ];

  for (const [method, path, options] of requests) {
    it(`${method} ${path.slice(0, 80)} gets a 4xx (or a redirect), not a 5xx`, async () => {
      const res = await http.request({
        method,
        url: `${server.issuer}${path}`,
        data: options?.data,
        headers: { accept: 'text/html', ...options?.headers },
      });
      expect(res.status, String(res.data).slice(0, 300)).to.be.within(300, 499);
      expect(String(res.data)).not.to.match(/at .+\.(js|ts):\d+:\d+/);
    });
  }

  it('never sends a signed-out visitor to an unregistered post_logout_redirect_uri', async () => {
    const page = await http.get(
      `${server.issuer}/logout?post_logout_redirect_uri=https://evil.example/`,
    );
    expect(page.status).to.be.within(200, 499);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(String(page.data))?.[1];
    if (!xsrf) return;
    const cookie = (page.headers['set-cookie'] ?? [])
      .map((c: string) => c.split(';')[0])
      .join('; ');
    const done = await http.post(
      `${server.issuer}/logout/confirm`,
      new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
      {
        headers: {
          cookie,
          origin: server.issuer,
          'content-type': 'application/x-www-form-urlencoded',
        },
      },
    );
    expect(String(done.headers.location ?? '')).not.to.include('evil.example');
  });

  it('builds every URL from the issuer, whatever Host header arrives', async () => {
    const res = await http.get(`${server.issuer}/.well-known/openid-configuration`, {
      headers: {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
      },
    });
    const meta = JSON.parse(String(res.data));
    expect(meta.issuer).to.equal(server.issuer);
    expect(meta.authorization_endpoint).to.equal(`${server.issuer}/authorize`);
    expect(meta.token_endpoint).to.equal(`${server.issuer}/token`);
  });

  it('answers unknown HTTP methods with 405, not 501', async () => {
    const res = await http.request({ method: 'TRACE', url: `${server.issuer}/` });
    expect(res.status).to.equal(405);
  });

  it('refuses the password grant (no ROPC)', async () => {
    const c = TEST_CLIENTS.firstParty;
    const res = await http.post(
      `${server.issuer}/token`,
      new URLSearchParams({
        grant_type: 'password',
        username: 'a@example.com',
        password: 'x',
      }).toString(),
      {
        auth: { username: c.client_id, password: c.client_secret },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
    );
    expect(res.status).to.equal(400);
    expect(JSON.parse(res.data).error).to.equal('unsupported_grant_type');
  });

  it('answers a slow or huge header block without crashing', async () => {
    const res = await http.get(`${server.issuer}/healthz`, {
      headers: { 'x-filler': 'y'.repeat(20_000) },
    });
    expect(res.status).to.be.within(200, 499);
    const after = await http.get(`${server.issuer}/healthz`);
    expect(after.status).to.equal(200);
  });
  /** A browser on a fresh sign-in page: the interaction, its CSRF token and the cookie for it. */
  async function signInPage() {
    const c = TEST_CLIENTS.firstParty;
    const { browser, login: html } = await atSignInPage(server.issuer, c);
    const form = formByAction(html, '/login');
    const uid = /\/interaction\/([^/]+)\/login/.exec(form.action)?.[1] as string;
    const cookie = await browser.jar.getCookieString(`${server.issuer}/interaction/${uid}/login`);
    return { browser, uid, csrf: form.fields.csrf as string, cookie };
  }

  /** Posts `chunks` to one of the interaction's forms over a socket of its own, as its page would. */
  function rawFormPost(
    page: { uid: string; cookie: string },
    form: string,
    chunks: string[],
    options: Partial<Parameters<typeof rawRequest>[0]> = {},
  ) {
    return rawRequest({
      method: 'POST',
      url: `${server.issuer}/interaction/${page.uid}/${form}`,
      chunks,
      ...options,
      headers: {
        cookie: page.cookie,
        origin: server.issuer,
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        ...options.headers,
      },
    });
  }

  async function apiToken(): Promise<string> {
    const resource = `${server.issuer}/api`;
    const { tokens } = await signUpAndAuthorize(
      server.issuer,
      TEST_CLIENTS.firstParty,
      { scope: 'openid profile email', resource },
      { resource },
    );
    return tokens.access_token;
  }

  const FORMS = ['login', 'signup', 'consent', 'abort'];
  // 15 KiB at once, then a slow tail: the client is still sending when the limit is crossed.
  const oversized = () => [
    'a'.repeat(15 * 1024),
    ...Array.from({ length: 20 }, () => 'a'.repeat(1024)),
  ];

  describe('bodies over 16 KiB without a Content-Length (chunked)', () => {
    // A browser-like client that would reuse the connection unless told otherwise.
    const keepAlive = new Agent({ keepAlive: true });
    after(() => keepAlive.destroy());

    for (const form of FORMS) {
      it(`POST /interaction/:uid/${form} answers 413 and closes the connection`, async () => {
        const page = await signInPage();
        const res = await rawFormPost(page, form, [`csrf=${page.csrf}&email=`, ...oversized()], {
          intervalMs: 10,
          agent: keepAlive,
        });
        expect(res.status, res.body.slice(0, 300)).to.equal(413);
        expect(res.headers.connection).to.equal('close');
        expect(res.body).to.include('larger than 16384 bytes');
        const line = server.logs.find(
          (l) => l.msg === 'request' && l.reqId === res.headers['x-request-id'],
        );
        expect(line).to.include({ status: 413, ip: '127.0.0.1' });
      });
    }

    it('PATCH /api/me answers 413 in JSON and closes the connection', async () => {
      const token = await apiToken();
      const res = await rawRequest({
        method: 'PATCH',
        url: `${server.issuer}/api/me`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        chunks: ['{"name":"', ...oversized(), '"}'],
        intervalMs: 10,
        agent: keepAlive,
      });
      expect(res.status, res.body.slice(0, 300)).to.equal(413);
      expect(res.headers.connection).to.equal('close');
      expect(JSON.parse(res.body).error).to.equal('payload_too_large');
    });

    it('leaves no unhandled error behind', () => {
      const unhandled = server.logs.filter(
        (l) => l.msg === 'unhandled error' || l.msg === 'request failed',
      );
      expect(unhandled).to.deep.equal([]);
    });
  });

  it('refuses compressed form and JSON bodies with 415 instead of reading them as text', async () => {
    const page = await signInPage();
    const res = await rawFormPost(
      page,
      'login',
      [`csrf=${page.csrf}&email=a%40example.com&password=x`],
      {
        headers: { 'content-encoding': 'gzip' },
      },
    );
    expect(res.status).to.equal(415);
    expect(res.body).to.include('Compressed request bodies are not accepted.');
  });

  describe('control characters', () => {
    const CONTROLS = ['\u0000', '\u0001', '\u0008', '\u000b', '\u001b', '\u007f'];
    const visible = (c: string) => `U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    const FIELDS: Record<string, Record<string, string>> = {
      login: { email: 'someone@example.com', password: 'correct horse battery' },
      signup: { name: 'Some One', email: 'someone@example.com', password: 'correct horse battery' },
    };

    for (const [form, fields] of Object.entries(FIELDS)) {
      for (const field of Object.keys(fields)) {
        it(`are refused with 400 in the ${field} of the ${form} form`, async () => {
          const page = await signInPage();
          for (const control of CONTROLS) {
            const body = new URLSearchParams({
              csrf: page.csrf,
              ...fields,
              [field]: `some${control}one@example.com`,
            }).toString();
            const res = await rawFormPost(page, form, [body]);
            expect(res.status, `${visible(control)}: ${res.body.slice(0, 300)}`).to.equal(400);
            expect(res.body).to.include('control characters');
          }
        });
      }
    }

    it('are refused with 400 in every field of PATCH /api/me, and in field names', async () => {
      const token = await apiToken();
      for (const control of CONTROLS) {
        for (const body of [
          { name: `Ada${control}Lovelace` },
          { picture: `https://example.com/a${control}b.png` },
          { [`name${control}`]: 'Ada' },
        ]) {
          const res = await http.patch(`${server.issuer}/api/me`, JSON.stringify(body), {
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          });
          expect(res.status, `${visible(control)} ${res.data}`).to.equal(400);
          expect(JSON.parse(res.data).error_description).to.include('control characters');
        }
      }
    });

    it('stores a picture URL in its normalised form', async () => {
      const token = await apiToken();
      const res = await http.patch(
        `${server.issuer}/api/me`,
        JSON.stringify({ picture: 'HTTPS://Example.COM:443/a b/../pic.png?x=1 2' }),
        { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
      );
      expect(res.status, res.data).to.equal(200);
      expect(JSON.parse(res.data).picture).to.equal('https://example.com/pic.png?x=1%202');
    });
  });
  describe('errors the mounted provider does not answer itself', () => {
    /** Opens a request, sends half its body, then resets the connection (a TCP RST). */
    function resetMidRequest(path: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(
            `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=`,
          );
          setTimeout(() => {
            socket.resetAndDestroy();
            setTimeout(resolve, 150);
          }, 150);
        });
        socket.on('error', reject);
      });
    }

    it('are logged as JSON through our logger, not printed as stacks on stderr', async () => {
      const printed: string[] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => printed.push(args.map(String).join(' '));
      try {
        for (const path of ['/token', '/userinfo', '/token/introspection', '/logout/confirm']) {
          await resetMidRequest(path);
        }
      } finally {
        console.error = original;
      }
      expect(printed).to.deep.equal([]);
      const gone = server.logs.filter((l) => l.msg === 'client closed the connection');
      expect(gone.length).to.be.at.least(4);
      for (const line of gone) expect(line.reqId).to.be.a('string');
    });
  });
});
