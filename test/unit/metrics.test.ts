// The pieces of metrics that need no server: the token check, the listener of its own, route and
// label bounding, the throttle's and back-channel logout's reports.
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { expect } from 'chai';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { type AttemptCounter, LoginThrottle } from '../../src/accounts/login-throttle.ts';
import { routeOf } from '../../src/metrics/http-metrics.ts';
import { bearerMatches, createMetricsServer } from '../../src/metrics/metrics-endpoint.ts';
import { PrometheusMetrics } from '../../src/metrics/prometheus.ts';
import { operationOf } from '../../src/metrics/store-metrics.ts';
import { BackchannelLogout } from '../../src/oidc/backchannel-logout.ts';
import { capturingLogger } from '../support/captured-logs.ts';
import { parseExposition, sampleSum } from '../support/metrics.ts';

const TOKEN = 't'.repeat(40);
const http = axios.create({ validateStatus: () => true, responseType: 'text' });

async function samplesOf(metrics: PrometheusMetrics) {
  return parseExposition((await metrics.exposition()).body);
}

describe('the metrics token check', () => {
  it('accepts exactly the token after "Bearer", in any case of the scheme', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).to.equal(true);
    expect(bearerMatches(`bearer  ${TOKEN}`, TOKEN)).to.equal(true);
  });

  it('refuses a missing, empty, shorter, longer or different token and other schemes', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Bearer ${TOKEN.slice(1)}`,
      `Bearer ${TOKEN}t`,
      `Bearer ${'u'.repeat(40)}`,
      `Basic ${TOKEN}`,
      TOKEN,
      `Bearer ${TOKEN} ${TOKEN}`,
    ]) {
      expect(bearerMatches(header, TOKEN), String(header)).to.equal(false);
    }
  });
});

describe('the metrics listener of its own', () => {
  async function listening(token: string | undefined) {
    const metrics = new PrometheusMetrics();
    metrics.signUp('password');
    const server = createMetricsServer(metrics, token);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { base, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('serves /metrics and nothing else, without a token when none is configured', async () => {
    const { base, close } = await listening(undefined);
    try {
      const res = await http.get(`${base}/metrics?x=1`);
      expect(res.status).to.equal(200);
      expect(sampleSum(parseExposition(res.data), 'latchkey_sign_ups_total')).to.equal(1);
      expect((await http.get(`${base}/`)).status).to.equal(404);
      expect((await http.get(`${base}/healthz`)).status).to.equal(404);
      expect((await http.post(`${base}/metrics`, '')).status).to.equal(405);
      const head = await http.head(`${base}/metrics`);
      expect([head.status, head.data]).to.deep.equal([200, '']);
    } finally {
      await close();
    }
  });

  it('asks for the token when one is configured', async () => {
    const { base, close } = await listening(TOKEN);
    try {
      expect((await http.get(`${base}/metrics`)).status).to.equal(401);
      const res = await http.get(`${base}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).to.equal(200);
    } finally {
      await close();
    }
  });
});

describe('route labels', () => {
  const ctx = (path: string, matched?: string) =>
    ({ path, ...(matched ? { _matchedRoute: matched } : {}) }) as unknown as Context;
  const fixed = ['/token', '/token/introspection', '/authorize', '/logout'];

  it('take the router template, else the fixed path, else a fixed name', () => {
    expect(routeOf(ctx('/interaction/abc/login', '/interaction/:uid/login'), fixed)).to.equal(
      '/interaction/:uid/login',
    );
    expect(routeOf(ctx('/token'), fixed)).to.equal('/token');
    expect(routeOf(ctx('/token/introspection'), fixed)).to.equal('/token/introspection');
    expect(routeOf(ctx('/authorize/Zx81kQ'), fixed)).to.equal('/authorize/*');
    expect(routeOf(ctx('/assets/latchkey.css'), fixed)).to.equal('/assets/*');
    expect(routeOf(ctx('/wp-login.php'), fixed)).to.equal('unmatched');
    expect(routeOf(ctx('/tokens'), fixed)).to.equal('unmatched');
  });
});

describe('Prometheus labels', () => {
  it('stay bounded whatever callers pass', async () => {
    const metrics = new PrometheusMetrics();
    for (let i = 0; i < 250; i++) metrics.request(`/raw/${i}`, 'GET', 200, 0.001);
    metrics.request('/x', 'BREW', 999, 0.001);
    metrics.signIn('Password; DROP', 'failure');
    metrics.tokenIssued('urn:ietf:params:oauth:grant-type:device_code');
    metrics.tokenRefused('something-invented', 'Not An Error Code');
    const samples = await samplesOf(metrics);
    const routes = new Set(
      samples.filter((s) => s.name === 'latchkey_http_requests_total').map((s) => s.labels.route),
    );
    expect(routes.size).to.equal(201);
    expect(sampleSum(samples, 'latchkey_http_requests_total', { route: 'other' })).to.equal(51);
    expect(
      sampleSum(samples, 'latchkey_http_requests_total', { method: 'other', status: '0' }),
    ).to.equal(1);
    expect(sampleSum(samples, 'latchkey_sign_ins_total', { method: 'other' })).to.equal(1);
    expect(
      sampleSum(samples, 'latchkey_tokens_issued_total', { grant_type: 'device_code' }),
    ).to.equal(1);
    expect(
      sampleSum(samples, 'latchkey_token_errors_total', { grant_type: 'other', error: 'other' }),
    ).to.equal(1);
  });

  it('name a query by its first word only', () => {
    expect(operationOf('SELECT * FROM account WHERE email = $1')).to.equal('select');
    expect(operationOf('  insert into x values ($1)')).to.equal('insert');
    expect(operationOf("VACUUM 'secret'")).to.equal('other');
    expect(operationOf({ text: 'SELECT 1' })).to.equal('other');
  });
});

describe('the throttle report', () => {
  it('names the count that was full: the account (locked) or the source', async () => {
    let full = 0;
    const counter: AttemptCounter = {
      take: async () => ({ counted: false, retryAfterMs: 1000, refusedBy: full }),
      giveBack: async () => {},
      reset: async () => {},
    };
    const refused: string[] = [];
    const throttle = new LoginThrottle(counter, undefined, {
      refused: (check, which) => refused.push(`${check}:${which}`),
    });
    await throttle.countPasswordCheck('a@example.com', '203.0.113.1').catch(() => {});
    full = 1;
    await throttle.countPasswordCheck('a@example.com', '203.0.113.1').catch(() => {});
    await throttle.countSignUp('203.0.113.1').catch(() => {});
    full = 0;
    await throttle.countMail('a@example.com', '203.0.113.1').catch(() => {});
    expect(refused).to.deep.equal([
      'password:account',
      'password:source',
      'sign_up:source',
      'mail:address',
    ]);
  });
});

describe('the back-channel logout report', () => {
  /** A provider whose clients' delivery fails `failures` times, then succeeds. */
  function providerFailing(failures: number) {
    let calls = 0;
    class Client {
      clientId = 'app';
      backchannelLogoutUri = 'https://app.example/logout';
      async backchannelLogout() {
        calls += 1;
        if (calls <= failures) throw new Error('connection refused');
      }
      static find = async () => new Client();
    }
    return { Client } as unknown as Provider;
  }

  for (const [failures, expected] of [
    [0, ['delivered']],
    [2, ['retried', 'retried', 'delivered']],
    [5, ['retried', 'retried', 'failed']],
  ] as const) {
    it(`reports ${expected.join(', ')} when delivery fails ${failures} times`, async () => {
      const outcomes: string[] = [];
      const backchannel = new BackchannelLogout({
        logger: capturingLogger().logger,
        backoffMs: 1,
        onAttempt: (outcome) => outcomes.push(outcome),
      });
      backchannel.install(providerFailing(failures));
      backchannel.notify('app', 'account', 'sid');
      await backchannel.settled();
      expect(outcomes).to.deep.equal(expected);
    });
  }
});
