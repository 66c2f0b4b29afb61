// /metrics: only behind the bearer token, and counting what happened with bounded labels:
// requests by route template, sign-ins and sign-ups by method and outcome, the throttle, tokens,
// reuse, upstream calls, the hashing queue, Redis commands and Postgres queries.
import axios from 'axios';
import { expect } from 'chai';
import { formByAction } from '../support/browser.ts';
import { parseExposition, type Sample, sampleSum, scrape } from '../support/metrics.ts';
import {
  atSignInPage,
  callbackOf,
  exchangeCode,
  OFFLINE,
  person,
  signIn,
  signUpAndAuthorize,
  viaUpstream,
} from '../support/oidc.ts';
import { accountFor, TEST_CLIENTS, useServer, useServerWithUpstreams } from '../support/server.ts';
import { refresh } from '../support/tokens.ts';

const TOKEN = 'metrics-token-0123456789abcdef-0123456789';
const LIMITS = { perAccount: 3, perSource: 10_000, signUpsPerSource: 10_000, windowSeconds: 60 };
const http = axios.create({ validateStatus: () => true, maxRedirects: 0, responseType: 'text' });

describe('metrics', () => {
  const c = TEST_CLIENTS.firstParty;
  const { server, upstreams } = useServerWithUpstreams({
    // Cost 10 and a queue of 2, so a burst of sign-ins overflows the hashing queue.
    env: {
      METRICS_TOKEN: TOKEN,
      BCRYPT_COST: '10',
      BCRYPT_QUEUE_LIMIT: '2',
      REFRESH_REUSE_GRACE_SECONDS: '0',
    },
    throttleLimits: LIMITS,
  });
  beforeEach(() => upstreams.reset());

  const read = () => scrape(server.issuer, TOKEN);
  /** How much each sample named `name` with `labels` grew while `work` ran. */
  async function growth(work: () => Promise<unknown>) {
    const before = await read();
    await work();
    const after = await read();
    return (name: string, labels: Record<string, string> = {}) =>
      sampleSum(after, name, labels) - sampleSum(before, name, labels);
  }

  describe('/metrics on the main port', () => {
    it('answers 401 with a Bearer challenge without the token, with a wrong one, or with Basic', async () => {
      for (const authorization of [
        undefined,
        `Bearer ${TOKEN.slice(0, -1)}x`,
        `Bearer ${TOKEN}extra`,
        'Bearer ',
        `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
      ]) {
        const res = await http.get(`${server.issuer}/metrics`, {
          headers: authorization === undefined ? {} : { authorization },
        });
        expect(res.status, authorization).to.equal(401);
        expect(res.headers['www-authenticate']).to.equal('Bearer realm="metrics"');
        expect(res.data).not.to.include('latchkey_');
      }
    });

    it('serves the Prometheus text format with the process metrics, never cached', async () => {
      const res = await http.get(`${server.issuer}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
      expect(res.headers['cache-control']).to.equal('no-store');
      const samples = parseExposition(res.data);
      const names = new Set(samples.map((s) => s.name));
      for (const name of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds']) {
        expect(names, name).to.include(name);
      }
      const post = await http.post(`${server.issuer}/metrics`, '', {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(post.status).to.equal(405);
    });
  });

  describe('requests', () => {
    it('are counted by route template and status, never by the raw path', async () => {
      const junk = `no-such-page-${person().email.split('@')[0]}`;
      let uid = '';
      const grew = await growth(async () => {
        const { browser, login } = await atSignInPage(server.issuer, c);
        uid = /action="\/interaction\/([^/"]+)\/login"/.exec(login)?.[1] ?? '';
        await browser.submit(login, '/login', { email: person().email, password: 'wrong one!' });
        await http.get(`${server.issuer}/${junk}`);
      });
      expect(uid).not.to.equal('');
      const login = { route: '/interaction/:uid/login', method: 'POST', status: '401' };
      expect(grew('latchkey_http_requests_total', login)).to.equal(1);
      expect(grew('latchkey_http_request_duration_seconds_count', login)).to.equal(1);
      expect(grew('latchkey_http_requests_total', { route: '/authorize', status: '303' })).to.equal(
        1,
      );
      expect(
        grew('latchkey_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }),
      ).to.equal(1);
      const text = (
        await http.get(`${server.issuer}/metrics`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).data as string;
      expect(text).not.to.include(junk);
      expect(text).not.to.include(uid);
    });
  });

  describe('sign-ins', () => {
    it('count successes, wrong passwords and the lock of an account by method', async () => {
      const someone = await accountFor(server, 'metrics');
      const attempt = async (password: string) => {
        const { browser, login } = await atSignInPage(server.issuer, c);
        return browser.submit(login, '/login', { email: someone.email, password });
      };
      const grew = await growth(async () => {
        expect((await attempt(someone.password)).status).to.equal(303);
        for (const status of [401, 401, 401, 429, 429]) {
          expect((await attempt('not the password')).status).to.equal(status);
        }
      });
      expect(grew('latchkey_sign_ins_total', { method: 'password', outcome: 'success' })).to.equal(
        1,
      );
      expect(grew('latchkey_sign_ins_total', { method: 'password', outcome: 'failure' })).to.equal(
        3,
      );
      expect(
        grew('latchkey_sign_ins_total', { method: 'password', outcome: 'throttled' }),
      ).to.equal(2);
      expect(
        grew('latchkey_throttled_attempts_total', { check: 'password', counter: 'account' }),
      ).to.equal(2);
      // Four checks ran bcrypt (the refused ones never reached it), each after some wait.
      expect(grew('latchkey_password_hashing_wait_seconds_count')).to.equal(4);
    });

    it('count checks refused by a full hashing queue as unavailable, at once', async () => {
      const { browser, login } = await atSignInPage(server.issuer, c);
      let statuses: number[] = [];
      const grew = await growth(async () => {
        const responses = await browser.submitAtOnce(formByAction(login, '/login'), 30, () => ({
          email: person('burst').email,
          password: 'a guess that is wrong',
        }));
        statuses = responses.map((r) => r.status);
      });
      const busy = statuses.filter((s) => s === 503).length;
      expect(busy).to.be.greaterThan(0);
      expect(grew('latchkey_password_hashing_refused_total')).to.equal(busy);
      expect(
        grew('latchkey_sign_ins_total', { method: 'password', outcome: 'unavailable' }),
      ).to.equal(busy);
      expect(grew('latchkey_sign_ins_total', { method: 'password', outcome: 'failure' })).to.equal(
        statuses.length - busy,
      );
      expect(sampleSum(await read(), 'latchkey_password_hashing_queue_length')).to.equal(0);
    });

    it('count sign-ups and upstream sign-ins by upstream, with the upstream calls timed', async () => {
      const who = person('upstream');
      upstreams.google.signInAs({ sub: `g-${who.email}`, name: who.name, email: who.email });
      const grew = await growth(async () => {
        const { rp, browser, auth, login } = await atSignInPage(server.issuer, c);
        await exchangeCode(rp, callbackOf(await viaUpstream(browser, login, 'google')), auth);
        upstreams.google.failNext('deny');
        const declined = await atSignInPage(server.issuer, c);
        await viaUpstream(declined.browser, declined.login, 'google');
        upstreams.google.failNext('token_5xx');
        const down = await atSignInPage(server.issuer, c);
        expect((await viaUpstream(down.browser, down.login, 'google')).response.status).to.equal(
          503,
        );
      });
      expect(grew('latchkey_sign_ups_total', { method: 'google' })).to.equal(1);
      expect(grew('latchkey_sign_ins_total', { method: 'google', outcome: 'success' })).to.equal(1);
      expect(grew('latchkey_sign_ins_total', { method: 'google', outcome: 'failure' })).to.equal(1);
      expect(
        grew('latchkey_sign_ins_total', { method: 'google', outcome: 'unavailable' }),
      ).to.equal(1);
      const complete = (outcome: string) =>
        grew('latchkey_upstream_request_duration_seconds_count', {
          upstream: 'google',
          step: 'complete',
          outcome,
        });
      expect([complete('success'), complete('denied'), complete('unavailable')]).to.deep.equal([
        1, 1, 1,
      ]);
    });

    it('count a password sign-up once it is asked for', async () => {
      const grew = await growth(() => signUpAndAuthorize(server.issuer, c));
      expect(grew('latchkey_sign_ups_total', { method: 'password' })).to.equal(1);
      expect(grew('latchkey_sign_ins_total', { method: 'sign-up', outcome: 'success' })).to.equal(
        1,
      );
    });
  });

  describe('tokens', () => {
    it('count tokens issued by grant type, and a refresh token presented again as reuse', async () => {
      let first = '';
      const grew = await growth(async () => {
        const { tokens } = await signUpAndAuthorize(server.issuer, c, OFFLINE);
        first = String(tokens.refresh_token);
        expect((await refresh(server.issuer, c, first)).status).to.equal(200);
        expect((await refresh(server.issuer, c, first)).status).to.equal(400);
      });
      expect(grew('latchkey_tokens_issued_total', { grant_type: 'authorization_code' })).to.equal(
        1,
      );
      expect(grew('latchkey_tokens_issued_total', { grant_type: 'refresh_token' })).to.equal(1);
      expect(grew('latchkey_token_reuse_total', { kind: 'refresh_token' })).to.equal(1);
      expect(
        grew('latchkey_token_errors_total', {
          grant_type: 'refresh_token',
          error: 'invalid_grant',
        }),
      ).to.equal(1);
    });

    it('bound the grant type label: an unknown one is counted as other', async () => {
      const grew = await growth(() =>
        http.post(`${server.issuer}/token`, 'grant_type=urn%3Aexample%3Amade-up', {
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`,
          },
        }),
      );
      expect(grew('latchkey_token_errors_total', { grant_type: 'other' })).to.equal(1);
      expect(JSON.stringify(await read())).not.to.include('made-up');
    });
  });

  describe('stores', () => {
    it('time Redis commands and Postgres queries and show the pool', async () => {
      const someone = await accountFor(server, 'stores');
      const grew = await growth(async () => {
        const { browser, login } = await atSignInPage(server.issuer, c);
        await signIn(browser, login, someone.email, someone.password);
      });
      const redis = (await read()).filter(
        (s: Sample) => s.name === 'latchkey_redis_command_duration_seconds_count',
      );
      expect(redis.map((s) => s.labels.command)).to.include.members(['evalsha']);
      expect(grew('latchkey_redis_command_duration_seconds_count')).to.be.greaterThan(3);
      expect(
        grew('latchkey_postgres_query_duration_seconds_count', { operation: 'select' }),
      ).to.be.greaterThan(0);
      const samples = await read();
      expect(sampleSum(samples, 'latchkey_postgres_pool_max')).to.equal(10);
      const open = sampleSum(samples, 'latchkey_postgres_pool_connections');
      expect(open).to.be.within(1, 10);
      expect(sampleSum(samples, 'latchkey_postgres_pool_waiting')).to.equal(0);
    });
  });
});

describe('metrics when not configured', () => {
  const server = useServer();

  it('serves no /metrics on the main port', async () => {
    const res = await http.get(`${server.issuer}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).to.equal(404);
    expect(res.data).not.to.include('latchkey_');
    expect(server.latchkey.metrics.enabled).to.equal(false);
  });
});
