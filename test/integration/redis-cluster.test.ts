// The real server on a Redis Cluster of its own (REDIS_CLUSTER=true, one seed): a code + PKCE
// sign-in, a refresh, reuse of a rotated refresh token revoking the grant across slots, and a
// logout, with the records spread over the cluster's primaries.
import { expect } from 'chai';
import * as client from 'openid-client';
import { primaries, type RedisClient } from '../../src/db/redis.ts';
import { formByAction } from '../support/browser.ts';
import { authorizationUrl, OFFLINE, pageOf, signUpAndAuthorize, visit } from '../support/oidc.ts';
import { type LocalCluster, startRedisCluster } from '../support/redis-cluster.ts';
import { startTestServer, TEST_CLIENTS, type TestServer } from '../support/server.ts';
import { refresh, userinfoStatus } from '../support/tokens.ts';

describe('on a Redis Cluster', function () {
  this.timeout(120_000);
  const c = TEST_CLIENTS.firstParty;
  let cluster: LocalCluster | undefined;
  let server: TestServer | undefined;

  before(async () => {
    cluster = await startRedisCluster();
    server = await startTestServer({
      env: {
        REDIS_URL: cluster.seeds[0],
        REDIS_CLUSTER: 'true',
        // Every reuse revokes at once, so the revocation itself is seen here.
        REFRESH_REUSE_GRACE_SECONDS: '0',
      },
    });
  });

  after(async () => {
    await server?.stop();
    await cluster?.stop();
  });

  /** How many of the namespace's keys each primary holds. */
  async function keysPerPrimary(redis: RedisClient, pattern: string): Promise<number[]> {
    const counts: number[] = [];
    for (const node of primaries(redis)) {
      let count = 0;
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        count += keys.length;
        cursor = next;
      } while (cursor !== '0');
      counts.push(count);
    }
    return counts;
  }

  it('signs in with a code and PKCE, refreshes, revokes on reuse and signs out', async () => {
    const running = server as TestServer;
    const redis = running.resources.redis;
    expect((redis as { isCluster?: boolean }).isCluster).to.equal(true);

    const { rp, browser, tokens, auth } = await signUpAndAuthorize(running.issuer, c, OFFLINE);
    expect(auth.url.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(tokens.refresh_token).to.be.a('string');
    expect(await userinfoStatus(running.issuer, tokens.access_token)).to.equal(200);

    // The records went to more than one primary: the layout really is spread over the slots.
    const spread = await keysPerPrimary(redis, `${running.namespace}:*`);
    expect(spread).to.have.length(3);
    expect(spread.filter((n) => n > 0).length, JSON.stringify(spread)).to.be.at.least(2);

    const rotated = await refresh(running.issuer, c, tokens.refresh_token as string);
    expect(rotated.status, JSON.stringify(rotated.data)).to.equal(200);
    expect(await userinfoStatus(running.issuer, rotated.data.access_token)).to.equal(200);

    // The rotated-out token again: reuse, and the whole grant goes, whichever slots its tokens
    // are in.
    const reused = await refresh(running.issuer, c, tokens.refresh_token as string);
    expect(reused.status).to.equal(400);
    expect(reused.data.error).to.equal('invalid_grant');
    expect(
      (await refresh(running.issuer, c, rotated.data.refresh_token as string)).status,
    ).to.equal(400);
    expect(await userinfoStatus(running.issuer, rotated.data.access_token)).to.equal(401);

    // Sign out: the confirmation, then the session is gone and the next request asks to sign in.
    const again = await signUpAndAuthorize(running.issuer, c);
    const confirm = await again.browser.get(
      client
        .buildEndSessionUrl(again.rp, { id_token_hint: again.tokens.id_token as string })
        .toString(),
    );
    const form = formByAction(confirm.data, '/logout/confirm');
    const done = await again.browser.follow(
      await again.browser.post(form.action, { ...form.fields, logout: 'yes' }),
    );
    expect(done.response.status).to.equal(200);
    const next = await authorizationUrl(again.rp, c.redirect_uris[0] as string);
    expect(pageOf(await visit(again.browser, next.url))).to.include('Sign in');
    expect(await userinfoStatus(running.issuer, again.tokens.access_token)).to.equal(401);
    // The first browser's session was never signed out: it goes straight back with a code.
    const first = await authorizationUrl(rp, c.redirect_uris[0] as string);
    const sso = await visit(browser, first.url);
    expect(sso.external?.searchParams.get('code')).to.be.a('string');
  });
});
