// The refresh grace window: a lost refresh answer can be fetched again; later reuse still revokes.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { OFFLINE, type TestClient } from '../support/oidc.ts';
import { startTestServer, TEST_CLIENTS, type TestServer, useServer } from '../support/server.ts';
import {
  atOnce,
  freshCode,
  refresh,
  type TokenReply,
  tokenRequest,
  userinfoStatus,
} from '../support/tokens.ts';

const c = TEST_CLIENTS.firstParty;

const pairOf = ({ data }: TokenReply) => ({
  access_token: data.access_token,
  refresh_token: data.refresh_token,
  id_token: data.id_token,
});

describe('the refresh grace window', () => {
  const server = useServer();
  const short = useServer({ env: { REFRESH_REUSE_GRACE_SECONDS: '1' } });

  async function refreshToken(on: TestServer, client: TestClient = c) {
    const { exchange } = await freshCode(on.issuer, client, OFFLINE);
    const reply = await exchange();
    expect(reply.status).to.equal(200);
    return reply.data;
  }

  it('answers a refresh retried after a lost answer with the same pair, which keeps working', async () => {
    const tokens = await refreshToken(server);
    const first = await refresh(server.issuer, c, tokens.refresh_token as string);
    expect(first.status).to.equal(200);

    const retry = await refresh(server.issuer, c, tokens.refresh_token as string);

    expect(retry.status).to.equal(200);
    expect(pairOf(retry)).to.deep.equal(pairOf(first));
    expect(await userinfoStatus(server.issuer, retry.data.access_token)).to.equal(200);
    const next = await refresh(server.issuer, c, retry.data.refresh_token as string);
    expect(next.status).to.equal(200);
    expect(next.data.refresh_token).not.to.equal(retry.data.refresh_token);
    expect(server.logs.some((l) => l.event === 'refresh.replayed')).to.equal(true);
  });

  for (const afterFirst of [false, true]) {
    const when = afterFirst ? 'after the first answered' : 'all at the same moment';

    it(`gives 20 duplicate refreshes sent ${when} one and the same pair`, async () => {
      const tokens = await refreshToken(server);
      const replayed = () => server.logs.filter((l) => l.event === 'refresh.replayed').length;
      const replayedBefore = replayed();

      const replies = await atOnce(
        20,
        () => refresh(server.issuer, c, tokens.refresh_token as string),
        afterFirst,
      );

      expect(replies.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
      expect(new Set(replies.map((r) => r.data.refresh_token)).size).to.equal(1);
      expect(new Set(replies.map((r) => r.data.access_token)).size).to.equal(1);
      expect(replayed() - replayedBefore).to.equal(19);
      const [one] = replies as [TokenReply];
      expect(await userinfoStatus(server.issuer, one.data.access_token)).to.equal(200);
      expect(await userinfoStatus(server.issuer, tokens.access_token)).to.equal(200);
      const next = await refresh(server.issuer, c, one.data.refresh_token as string);
      expect(next.status).to.equal(200);
    });
  }

  it('revokes the grant when a rotated refresh token comes back after the window', async () => {
    const tokens = await refreshToken(short);
    const rotated = await refresh(short.issuer, c, tokens.refresh_token as string);
    expect(rotated.status).to.equal(200);

    await sleep(1200);
    const started = Date.now();
    const reuse = await refresh(short.issuer, c, tokens.refresh_token as string);

    expect(reuse.status).to.equal(400);
    // No answer can exist after the window: the reuse is not held waiting for one (10 s).
    expect(Date.now() - started).to.be.below(5000);
    expect(reuse.data.error).to.equal('invalid_grant');
    expect(await userinfoStatus(short.issuer, rotated.data.access_token)).to.equal(401);
    const newest = await refresh(short.issuer, c, rotated.data.refresh_token as string);
    expect(newest.data.error).to.equal('invalid_grant');
  });

  it('treats a retry asking for another scope as reuse', async () => {
    const tokens = await refreshToken(server);
    const rotated = await refresh(server.issuer, c, tokens.refresh_token as string);

    const narrower = await tokenRequest(server.issuer, c, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token as string,
      scope: 'openid',
    });

    expect(narrower.data.error).to.equal('invalid_grant');
    const newest = await refresh(server.issuer, c, rotated.data.refresh_token as string);
    expect(newest.data.error).to.equal('invalid_grant');
  });

  it('gives another client nothing and revokes nothing', async () => {
    const tokens = await refreshToken(server);
    const rotated = await refresh(server.issuer, c, tokens.refresh_token as string);

    const stranger = await refresh(
      server.issuer,
      TEST_CLIENTS.thirdParty,
      tokens.refresh_token as string,
    );
    const wrongSecret = await refresh(
      server.issuer,
      { ...c, client_secret: `${c.client_secret}-wrong` },
      tokens.refresh_token as string,
    );

    expect(stranger.data.error).to.equal('invalid_grant');
    expect(wrongSecret.data.error).to.equal('invalid_client');
    expect(JSON.stringify([stranger.data, wrongSecret.data])).not.to.include(
      rotated.data.refresh_token as string,
    );
    const newest = await refresh(server.issuer, c, rotated.data.refresh_token as string);
    expect(newest.status).to.equal(200);
  });

  it('answers a public client again with the CORS headers its origin gets', async () => {
    const spa = TEST_CLIENTS.publicSpa;
    const tokens = await refreshToken(server, spa);
    const origin = new URL(spa.redirect_uris[0]).origin;
    const send = () =>
      tokenRequest(
        server.issuer,
        spa,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string },
        { origin },
      );

    const first = await send();
    const retry = await send();

    expect(retry.status).to.equal(200);
    expect(pairOf(retry)).to.deep.equal(pairOf(first));
    expect(retry.headers['access-control-allow-origin']).to.equal(origin);
    expect(retry.headers['cache-control']).to.equal('no-store');
    expect(retry.headers['content-type']).to.match(/^application\/json/);
  });

  it('is off with REFRESH_REUSE_GRACE_SECONDS=0: the first reuse revokes the grant', async () => {
    const strict = await startTestServer({ env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });
    try {
      const tokens = await refreshToken(strict);
      const rotated = await refresh(strict.issuer, c, tokens.refresh_token as string);

      const retry = await refresh(strict.issuer, c, tokens.refresh_token as string);

      expect(retry.data.error).to.equal('invalid_grant');
      const newest = await refresh(strict.issuer, c, rotated.data.refresh_token as string);
      expect(newest.data.error).to.equal('invalid_grant');
    } finally {
      await strict.stop();
    }
  });
});
