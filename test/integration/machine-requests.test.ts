// Requests only programs make (tokens, keys, discovery) skip the page machinery but keep what every
// request gets: the security headers, a request id, the issuer's host and one log line.
import axios, { type AxiosResponse } from 'axios';
import { expect } from 'chai';
import { TEST_CLIENTS, useServer } from '../support/server.ts';

const REPORTS = 'https://reports.example.com';
const reporter = {
  client_id: 'reports-worker',
  client_secret: 'reports-worker-secret-0123456789abcdef',
  machine: true,
  resources: { [REPORTS]: ['reports:read'] },
  redirect_uris: [] as string[],
};
const resourceServers = [
  { audience: REPORTS, format: 'opaque', scopes: { 'reports:read': 'Read the reports' } },
];
const basic = `Basic ${Buffer.from(`${reporter.client_id}:${reporter.client_secret}`).toString('base64')}`;

/** Every header a response carries for security, the CSP's per-response nonce blanked. */
function securityHeadersOf(res: AxiosResponse): Record<string, string> {
  const names = [
    'content-security-policy',
    'cross-origin-opener-policy',
    'cross-origin-resource-policy',
    'origin-agent-cluster',
    'referrer-policy',
    'strict-transport-security',
    'x-content-type-options',
    'x-dns-prefetch-control',
    'x-download-options',
    'x-frame-options',
    'x-permitted-cross-domain-policies',
    'x-xss-protection',
    'permissions-policy',
    'cache-control',
    'pragma',
  ];
  return Object.fromEntries(
    names
      .filter((n) => res.headers[n] !== undefined)
      .map((n) => [n, String(res.headers[n]).replace(/'nonce-[^']+'/, "'nonce-*'")]),
  );
}

describe('requests only programs make', () => {
  const server = useServer({
    clients: [...Object.values(TEST_CLIENTS), reporter],
    resourceServers,
  });
  const http = axios.create({ validateStatus: () => true });
  const token = () =>
    http.post(
      `${server.issuer}/token`,
      new URLSearchParams({ grant_type: 'client_credentials', scope: 'reports:read' }).toString(),
      { headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' } },
    );

  it('carry the same security headers as a page, with a CSP nonce of their own', async () => {
    const page = await http.get(`${server.issuer}/account`, { maxRedirects: 0 });
    const expected = securityHeadersOf(page);
    // Every one of them but HSTS, which only an https issuer sends.
    expect(Object.keys(expected)).to.have.length(14);
    const nonces = new Set<string>();
    for (const res of [
      await token(),
      await http.get(`${server.issuer}/.well-known/openid-configuration`),
      await http.get(`${server.issuer}/jwks`),
      await http.post(`${server.issuer}/token/introspection`, 'token=nothing', {
        headers: { authorization: basic },
      }),
    ]) {
      expect(res.status, String(res.config.url)).to.equal(200);
      expect(securityHeadersOf(res), String(res.config.url)).to.deep.equal(expected);
      nonces.add(/'nonce-([^']+)'/.exec(String(res.headers['content-security-policy']))?.[1] ?? '');
    }
    // userinfo without a token: refused, with the same headers.
    const userinfo = await http.get(`${server.issuer}/userinfo`);
    expect(userinfo.status).to.be.within(400, 401);
    expect(securityHeadersOf(userinfo)).to.deep.equal(expected);
    expect(nonces.size).to.equal(4);
    expect([...nonces].every((n) => /^[A-Za-z0-9+/]{22}==$/.test(n))).to.equal(true);
  });

  it('are logged once each with their request id, path, status and address', async () => {
    const res = await token();
    expect(res.status).to.equal(200);
    const id = String(res.headers['x-request-id']);
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    const lines = server.logs.filter((l) => l.reqId === id);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ msg: 'request', method: 'POST', path: '/token', status: 200 });
    expect(String(lines[0]?.ip)).to.match(/127\.0\.0\.1$/);
    expect(JSON.stringify(lines[0])).not.to.include(String(res.data.access_token));
  });

  it('log a refusal with its status and take a query string out of the logged path', async () => {
    const res = await http.post(
      `${server.issuer}/token?grant_type=client_credentials`,
      'grant_type=client_credentials',
      { headers: { authorization: 'Basic bm9ib2R5Om5vdGhpbmc=' } },
    );
    expect(res.status).to.equal(401);
    expect(res.data.error).to.equal('invalid_client');
    const line = server.logs.find(
      (l) => l.msg === 'request' && l.reqId === res.headers['x-request-id'],
    );
    expect(line).to.include({ path: '/token', status: 401 });
  });

  it('cannot move the issuer with a forged Host', async () => {
    const res = await http.get(`${server.issuer}/.well-known/openid-configuration`, {
      headers: { host: 'evil.example' },
    });
    expect(res.data.issuer).to.equal(server.issuer);
    expect(res.data.token_endpoint).to.equal(`${server.issuer}/token`);
  });

  it('answer many at once, each with its own token and request id', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => token()));
    expect(answers.map((a) => a.status)).to.deep.equal(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.data.access_token)).size).to.equal(20);
    expect(new Set(answers.map((a) => a.headers['x-request-id'])).size).to.equal(20);
  });

  describe('behind a proxy', () => {
    const issuer = 'https://id.example.test';
    const proxied = useServer({
      env: { ISSUER: issuer, TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '2' },
      clients: [...Object.values(TEST_CLIENTS), reporter],
      resourceServers,
    });

    it('keep the proxy request id and client address, and publish the https issuer', async () => {
      const res = await http.get(
        `http://127.0.0.1:${proxied.port}/.well-known/openid-configuration`,
        {
          headers: {
            host: 'evil.example',
            'x-forwarded-proto': 'http',
            'x-forwarded-host': 'evil.example',
            'x-forwarded-for': '198.51.100.66, 203.0.113.20, 10.0.0.5',
            'x-request-id': 'proxy-request-0001',
          },
        },
      );
      expect(res.status).to.equal(200);
      expect(res.data.issuer).to.equal(issuer);
      expect(res.data.token_endpoint).to.equal(`${issuer}/token`);
      expect(res.headers['x-request-id']).to.equal('proxy-request-0001');
      expect(res.headers['strict-transport-security']).to.equal(
        'max-age=31536000; includeSubDomains',
      );
      expect(res.headers['content-security-policy']).to.include('upgrade-insecure-requests');
      const line = proxied.logs.find(
        (l) => l.msg === 'request' && l.reqId === 'proxy-request-0001',
      );
      expect(line).to.include({ path: '/.well-known/openid-configuration', ip: '203.0.113.20' });
    });
  });
});
