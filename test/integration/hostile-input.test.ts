// Odd and hostile requests get a clear 4xx answer, never a 500, a hang or a stack trace.
import axios from 'axios';
import { expect } from 'chai';
import { startTestServer, TEST_CLIENTS, type TestServer } from '../support/server.ts';

describe('hostile and malformed requests', () => {
  let server: TestServer;
  const http = axios.create({
    validateStatus: () => true,
    maxRedirects: 0,
    responseType: 'text',
    transformResponse: (d: unknown) => d,
    timeout: 10_000,
  });

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

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
});
