// An https issuer behind a TLS-terminating proxy: https URLs, Secure and __Host- cookies, HSTS.
import axios, { type AxiosResponse } from 'axios';
import { expect } from 'chai';
import * as client from 'openid-client';
import { person } from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';

describe('behind a TLS-terminating proxy', () => {
  const issuer = 'https://id.example.test';
  const server = useServer({
    env: { ISSUER: issuer, TRUST_PROXY: 'true' },
    throttleLimits: { perAccount: 100, perSource: 3, signUpsPerSource: 20, windowSeconds: 60 },
  });
  let direct: string;
  const cookies = new Map<string, string>();
  const setCookies: string[] = [];
  const http = axios.create({
    validateStatus: () => true,
    maxRedirects: 0,
    responseType: 'text',
    transformResponse: (d: unknown) => d,
  });

  before(() => {
    direct = `http://127.0.0.1:${server.port}`;
  });

  /** A request as the proxy forwards it: plain http inside, https outside. */
  async function viaProxy(
    method: string,
    path: string,
    data?: string,
    forwardedFor = '203.0.113.7',
  ): Promise<AxiosResponse<string>> {
    const res = await http.request<string>({
      method,
      url: `${direct}${path.replace(issuer, '')}`,
      data,
      headers: {
        'x-forwarded-proto': 'https',
        'x-forwarded-for': forwardedFor,
        accept: 'text/html',
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(data ? { 'content-type': 'application/x-www-form-urlencoded', origin: issuer } : {}),
      },
    });
    for (const header of res.headers['set-cookie'] ?? []) {
      setCookies.push(header);
      const [pair] = header.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      cookies.set(name as string, value.join('='));
    }
    return res;
  }

  /** The query of a code request (S256 PKCE) from the first-party app, plus `extra`. */
  async function authorizeQuery(extra: Record<string, string>) {
    const c = TEST_CLIENTS.firstParty;
    const challenge = await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier());
    return new URLSearchParams({
      client_id: c.client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: c.redirect_uris[0],
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
  }

  it('publishes https endpoints in discovery', async () => {
    const res = await viaProxy('GET', '/.well-known/openid-configuration');
    const meta = JSON.parse(res.data);
    expect(meta.issuer).to.equal(issuer);
    expect(meta.authorization_endpoint).to.equal(`${issuer}/authorize`);
    expect(meta.token_endpoint).to.equal(`${issuer}/token`);
  });

  it('sets Secure cookies, a __Host- session cookie and HSTS through a whole sign-up', async () => {
    const query = await authorizeQuery({ state: 'abc' });
    let res = await viaProxy('GET', `/authorize?${query}`);
    expect(res.status).to.equal(303);
    expect(res.headers['strict-transport-security']).to.match(/max-age=\d+/);
    res = await viaProxy('GET', res.headers.location as string);
    expect(res.headers['content-security-policy']).to.include('upgrade-insecure-requests');
    const uid = /action="\/interaction\/([^/]+)\/login"/.exec(res.data)?.[1] as string;
    const signupPage = await viaProxy('GET', `/interaction/${uid}/signup`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(signupPage.data)?.[1] as string;
    const who = person('proxy');
    res = await viaProxy(
      'POST',
      `/interaction/${uid}/signup`,
      new URLSearchParams({ csrf, ...who }).toString(),
    );
    expect(res.status).to.equal(200);
    // The confirmation link from the mail, opened and confirmed in the same browser.
    const link = (await server.mail.waitFor(who.email)).links.find((l) =>
      l.includes('/email/confirm'),
    ) as string;
    expect(link.startsWith(`${issuer}/email/confirm?`)).to.equal(true);
    const token = new URL(link).searchParams.get('token') as string;
    res = await viaProxy('POST', '/email/confirm', new URLSearchParams({ token }).toString());
    expect(res.status).to.equal(303);
    const next = () => new URL(res.headers.location as string, issuer);
    while (res.status === 303 && next().origin === issuer) {
      res = await viaProxy('GET', next().toString());
    }
    expect(next().searchParams.get('code')).to.be.a('string');

    expect(setCookies.length).to.be.greaterThan(3);
    for (const header of setCookies) expect(header, header).to.match(/;\s*secure/i);
    const session = setCookies.find((h) => h.startsWith('__Host-latchkey.session='));
    expect(session).to.match(/;\s*path=\/(;|$)/i);
    expect(session).not.to.match(/domain=/i);
  });

  it('logs the client address the proxy reports', () => {
    const line = server.logs.find((l) => l.msg === 'request' && l.path === '/authorize');
    expect(line?.ip).to.equal('203.0.113.7');
  });

  it('ignores a made-up leftmost X-Forwarded-For entry, in the log and in the per-source sign-in limit', async () => {
    // The proxy appends the address it saw; whatever the client sent stays on the left.
    // The earlier story left a session: ask for the sign-in page anyway.
    const query = await authorizeQuery({ prompt: 'login' });
    const start = await viaProxy('GET', `/authorize?${query}`);
    const page = await viaProxy('GET', start.headers.location as string);
    const uid = /action="\/interaction\/([^/]+)\/login"/.exec(page.data)?.[1] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.data)?.[1] as string;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await viaProxy(
        'POST',
        `/interaction/${uid}/login`,
        new URLSearchParams({
          csrf,
          email: `nobody-${i}@example.com`,
          password: 'wrong password',
        }).toString(),
        `198.51.100.${i + 1}, 203.0.113.9`,
      );
      statuses.push(res.status);
    }
    // perSource is 3: the fourth failure from 203.0.113.9 is refused, whatever the left entry says.
    expect(statuses).to.deep.equal([401, 401, 401, 429, 429, 429]);
    const logged = server.logs.filter(
      (l) => l.msg === 'request' && l.path === `/interaction/${uid}/login`,
    );
    expect(logged.map((l) => l.ip)).to.deep.equal(Array(6).fill('203.0.113.9'));
  });

  describe('with TRUST_PROXY_HOPS=2', () => {
    const twoHops = useServer({
      env: { ISSUER: issuer, TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '2' },
    });

    it('takes the address two entries from the right, or the leftmost when the header is shorter', async () => {
      const cases: [string | undefined, string][] = [
        ['198.51.100.66, 203.0.113.20, 10.0.0.5', '203.0.113.20'],
        ['203.0.113.21, 10.0.0.5', '203.0.113.21'],
        ['203.0.113.22', '203.0.113.22'],
        [undefined, '127.0.0.1'],
      ];
      for (const [header, expected] of cases) {
        const res = await http.get(`http://127.0.0.1:${twoHops.port}/healthz`, {
          headers: header === undefined ? {} : { 'x-forwarded-for': header },
        });
        const id = res.headers['x-request-id'];
        const line = twoHops.logs.find((l) => l.msg === 'request' && l.reqId === id);
        expect(line?.ip, header).to.equal(expected);
      }
    });
  });
});
