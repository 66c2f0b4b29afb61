// Every upstream in the registry shows up where a person meets it: its button on the sign-in,
// sign-up and link pages, and its origins in the CSP form-action the browser enforces.
import { expect } from 'chai';
import { t } from '../../src/i18n/t.ts';
import { UPSTREAMS } from '../../src/upstreams/registry.ts';
import type { UpstreamDefinition } from '../../src/upstreams/upstream.ts';
import { Browser, formByAction, scrapeForms } from '../support/browser.ts';
import { authorizationUrl, pageOf, relyingParty, visit } from '../support/oidc.ts';
import { accountFor, TEST_CLIENTS, useServerWithUpstreams } from '../support/server.ts';

describe('every upstream in the registry', () => {
  // X vouches for an address only when asked for it, so X can lead to a link page too.
  const { server, upstreams } = useServerWithUpstreams({ env: { X_REQUEST_EMAIL: 'true' } });
  const c = TEST_CLIENTS.firstParty;
  beforeEach(() => upstreams.reset());

  async function atSignIn() {
    const rp = await relyingParty(server.issuer, c);
    const browser = new Browser(server.issuer);
    const auth = await authorizationUrl(rp, c.redirect_uris[0]);
    const response = await visit(browser, auth.url);
    return { browser, login: pageOf(response), response: response.response };
  }

  /** Signs in through `via` with the verified address of an existing account: the link page. */
  async function linkPageVia(via: string, email: string): Promise<string | undefined> {
    upstreams.all
      .get(via)
      ?.signInAs({ sub: `link-${via}`, name: 'Linker', email, emailVerified: true });
    const { browser, login } = await atSignIn();
    const out = await browser.follow(await browser.submit(login, `/federated/${via}`));
    const back = (await browser.get(String(out.external))).headers.location as string;
    const page = pageOf(await browser.follow(await browser.get(back)));
    return scrapeForms(page).some((f) => f.action.endsWith('/link')) ? page : undefined;
  }

  function expectButton(page: string, upstream: UpstreamDefinition) {
    const form = formByAction(page, `/federated/${upstream.id}`);
    expect(form.fields).to.have.property('csrf');
    const label = t(upstream.button.label, { upstream: upstream.name });
    expect(page).to.include(`${upstream.button.svg}<span>${label}</span></button>`);
  }

  it('has a running fake for each upstream', () => {
    expect([...upstreams.all.keys()]).to.deep.equal(UPSTREAMS.map((u) => u.id));
  });

  for (const upstream of UPSTREAMS) {
    describe(upstream.name, () => {
      it('has a button on the sign-in and sign-up pages', async () => {
        const { browser, login } = await atSignIn();
        expectButton(login, upstream);
        const signUpLink = /href="(\/interaction\/[^"]+\/signup)"/.exec(login)?.[1];
        expectButton((await browser.get(String(signUpLink))).data, upstream);
      });

      it('is offered on the link page another upstream leads to', async () => {
        const who = await accountFor(server, `registry-${upstream.id}`);
        const pages: string[] = [];
        for (const other of UPSTREAMS.filter((u) => u.id !== upstream.id)) {
          const page = await linkPageVia(other.id, who.email);
          if (page) pages.push(page);
        }
        expect(pages, 'no other upstream led to a link page').to.not.be.empty;
        for (const page of pages) expectButton(page, upstream);
      });

      it('has its origins in the CSP form-action, where its fake answers', async () => {
        const { response } = await atSignIn();
        const csp = String(response.headers['content-security-policy']);
        const formAction = /form-action ([^;]+)/.exec(csp)?.[1]?.split(' ') ?? [];
        const settings = (server.config.upstreams as Record<string, unknown>)[upstream.id];
        const origins = upstream.origins(settings as never);
        expect(origins).to.include(new URL(String(upstreams.all.get(upstream.id)?.url)).origin);
        expect(formAction).to.include.members(origins);
      });
    });
  }
});
