// Sign-ins through Google, Facebook or X are not asked for Latchkey's second step unless the
// application or the account requires two factors.
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { formByAction } from '../support/browser.ts';
import {
  atSignInPage,
  callbackOf,
  exchangeCode,
  pageOf,
  person,
  profileOf,
  viaUpstream,
} from '../support/oidc.ts';
import { TEST_CLIENTS, useServerWithUpstreams } from '../support/server.ts';
import { awayFromStepEdge, totpCode } from '../support/totp.ts';

const MFA_APP = {
  client_id: 'payroll-app',
  client_secret: 'payroll-secret-0123456789abcdef0123',
  client_name: 'Payroll',
  redirect_uris: ['http://127.0.0.1:9/callback'],
  first_party: true,
  require_mfa: true,
} as const;

describe('two-step sign-in and upstream sign-ins', () => {
  const { server, upstreams } = useServerWithUpstreams({
    clients: [...Object.values(TEST_CLIENTS), MFA_APP],
  });
  beforeEach(() => awayFromStepEdge());

  async function withGoogle(client: typeof MFA_APP | typeof TEST_CLIENTS.firstParty) {
    const { rp, browser, auth, login } = await atSignInPage(server.issuer, client);
    const result = await viaUpstream(browser, login, 'google');
    return { rp, browser, auth, result };
  }

  it('signs a Google account with TOTP on straight in, and asks it for a code where the app requires two factors', async () => {
    const who = person('google-totp');
    upstreams.google.signInAs({ sub: `g-${who.email}`, ...profileOf(who, true) });
    const first = await withGoogle(TEST_CLIENTS.firstParty);
    const plain = await exchangeCode(first.rp, callbackOf(first.result), first.auth);
    const accountId = plain.claims()?.sub as string;
    expect(decodeJwt(plain.id_token as string).acr).to.equal('urn:latchkey:acr:1fa');

    const factors = server.latchkey.factors;
    const { secret } = await factors.startTotp(accountId, who.email);
    await factors.confirmTotp(accountId, totpCode(secret, -1), 'test');

    // Not required: Google alone is enough, TOTP or not.
    const again = await withGoogle(TEST_CLIENTS.firstParty);
    expect(callbackOf(again.result)).to.be.instanceOf(URL);

    // Required by the application: the code is asked after Google.
    const strict = await withGoogle(MFA_APP);
    const page = pageOf(strict.result);
    const form = formByAction(page, '/second-step');
    const done = await strict.browser.follow(
      await strict.browser.post(form.action, { ...form.fields, code: totpCode(secret) }),
    );
    const tokens = await exchangeCode(strict.rp, callbackOf(done), strict.auth);
    const claims = decodeJwt(tokens.id_token as string);
    expect(claims.sub).to.equal(accountId);
    expect(claims.acr).to.equal('urn:latchkey:acr:mfa');
    expect(claims.amr).to.have.members(['otp', 'mfa']);
  });
});
