// An account's sessions and grants are listed from Redis and can all be ended but the current one.
import { expect } from 'chai';
import type * as client from 'openid-client';
import type { Browser } from '../support/browser.ts';
import {
  authorizeAgain,
  OFFLINE,
  signInAndAuthorize,
  signUpAndAuthorize,
} from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';
import { refresh, sessionCookie, userinfoStatus } from '../support/tokens.ts';

const c = TEST_CLIENTS.firstParty;

describe("an account's sessions and grants", () => {
  const server = useServer();

  /** One person signed in in two browsers, each with tokens for the same app. */
  async function twoBrowsers() {
    const first = await signUpAndAuthorize(server.issuer, c, OFFLINE);
    const second = await signInAndAuthorize(server.issuer, c, first.person, OFFLINE);
    return {
      rp: first.rp,
      accountId: first.tokens.claims()?.sub as string,
      first: { browser: first.browser, tokens: first.tokens },
      second: { browser: second.browser, tokens: second.tokens },
    };
  }

  async function signedIn(browser: Browser, rp: client.Configuration): Promise<boolean> {
    const { callback } = await authorizeAgain(browser, rp, c.redirect_uris[0], {
      prompt: 'none',
    });
    return callback.searchParams.get('code') !== null;
  }

  it("lists both browsers' sessions and grants", async () => {
    const { accountId, first, second } = await twoBrowsers();

    const sessions = await server.latchkey.accountSessions.sessions(accountId);
    const grants = await server.latchkey.accountSessions.grants(accountId);

    expect(sessions).to.have.length(2);
    const handles = await Promise.all(
      [first, second].map(async (b) =>
        server.latchkey.accountSessions.handleOf(await sessionCookie(b.browser)),
      ),
    );
    expect(sessions.map((s) => s.handle).sort()).to.deep.equal([...handles].sort());
    expect(grants).to.have.length(2);
    expect(grants.every((g) => g.clientId === c.client_id)).to.equal(true);
    expect(sessions.flatMap((s) => s.authorizations.map((a) => a.grantId)).sort()).to.deep.equal(
      grants.map((g) => g.grantId).sort(),
    );
  });

  it('ends every other session and revokes its grants, keeping the current browser and its tokens', async () => {
    const { rp, accountId, first, second } = await twoBrowsers();

    const ended = await server.latchkey.accountSessions.endAll(accountId, {
      exceptSessionId: await sessionCookie(first.browser),
    });

    expect(ended).to.deep.equal({ sessions: 1, grants: 1 });
    expect(await signedIn(first.browser, rp)).to.equal(true);
    const kept = await refresh(server.issuer, c, first.tokens.refresh_token as string);
    expect(kept.status).to.equal(200);

    expect(await signedIn(second.browser, rp)).to.equal(false);
    const revoked = await refresh(server.issuer, c, second.tokens.refresh_token as string);
    expect(revoked.status).to.equal(400);
    expect(revoked.data.error).to.equal('invalid_grant');
    expect(await userinfoStatus(server.issuer, second.tokens.access_token)).to.equal(401);

    expect(await server.latchkey.accountSessions.sessions(accountId)).to.have.length(1);
    expect(await server.latchkey.accountSessions.grants(accountId)).to.have.length(1);
  });

  it('ends everything when no session is kept', async () => {
    const { rp, accountId, first, second } = await twoBrowsers();

    expect(await server.latchkey.accountSessions.endAll(accountId)).to.deep.equal({
      sessions: 2,
      grants: 2,
    });

    for (const b of [first, second]) {
      expect(await signedIn(b.browser, rp)).to.equal(false);
      const gone = await refresh(server.issuer, c, b.tokens.refresh_token as string);
      expect(gone.data.error).to.equal('invalid_grant');
    }
  });
});
