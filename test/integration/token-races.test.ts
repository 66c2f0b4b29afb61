// Codes and refresh tokens are single use even when many requests redeem one at the same moment.
import { expect } from 'chai';
import { OFFLINE } from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';
import { atOnce, freshCode, refresh, type TokenReply, userinfoStatus } from '../support/tokens.ts';

const PARALLEL = 20;

/** Every answer is a token set or invalid_grant; returns the token sets. */
function winners(replies: TokenReply[]): TokenReply[] {
  for (const reply of replies) {
    if (reply.status !== 200) {
      expect(reply.status, JSON.stringify(reply.data)).to.equal(400);
      expect(reply.data.error).to.equal('invalid_grant');
    }
  }
  return replies.filter((r) => r.status === 200);
}

describe('single use under concurrency', () => {
  const c = TEST_CLIENTS.firstParty;

  // Without the refresh grace window, so every duplicate refresh is reuse.
  const server = useServer({ env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });

  for (const afterFirst of [false, true]) {
    const when = afterFirst ? 'after the first answered' : 'all at the same moment';

    it(`gives at most one token set for a code redeemed ${PARALLEL} times ${when}, and the replays revoke it`, async () => {
      const { exchange } = await freshCode(server.issuer, c, OFFLINE);

      const won = winners(await atOnce(PARALLEL, exchange, afterFirst));

      expect(won.length).to.be.at.most(1);
      for (const { data } of won) {
        expect(await userinfoStatus(server.issuer, data.access_token)).to.equal(401);
        const again = await refresh(server.issuer, c, data.refresh_token as string);
        expect(again.data.error).to.equal('invalid_grant');
      }
    });

    it(`gives at most one new refresh token for one used ${PARALLEL} times ${when}, and the reuse revokes the grant`, async () => {
      const { exchange } = await freshCode(server.issuer, c, OFFLINE);
      const tokens = (await exchange()).data;

      const won = winners(
        await atOnce(
          PARALLEL,
          () => refresh(server.issuer, c, tokens.refresh_token as string),
          afterFirst,
        ),
      );

      expect(won.length).to.be.at.most(1);
      expect(await userinfoStatus(server.issuer, tokens.access_token)).to.equal(401);
      for (const { data } of won) {
        expect(await userinfoStatus(server.issuer, data.access_token)).to.equal(401);
        const next = await refresh(server.issuer, c, data.refresh_token as string);
        expect(next.data.error).to.equal('invalid_grant');
      }
    });
  }
});
