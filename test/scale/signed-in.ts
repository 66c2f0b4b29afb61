// The load of the failover phases: one person signed up through the balancer with the first
// client, browsers of their own signed in as that person, and new tokens by single sign-on.
import { Browser } from '../support/browser.ts';
import { mailDevMailbox, registerMailbox } from '../support/mailbox.ts';
import {
  authorizationUrl,
  callbackOf,
  exchangeCode,
  OFFLINE,
  pageOf,
  person,
  relyingParty,
  signIn,
  signUp,
  visit,
} from '../support/oidc.ts';
import { required } from './balancer.ts';

/** Signs `label`'s person up; `onBrowser` sees every browser made for them (to watch answers). */
export async function signedUpPerson(
  issuer: string,
  label: string,
  onBrowser: (browser: Browser) => void = () => {},
) {
  registerMailbox(issuer, mailDevMailbox(required('E2E_MAIL_API')));
  const first = {
    client_id: required('E2E_CLIENT_ID'),
    client_secret: required('E2E_CLIENT_SECRET'),
    redirect_uris: [required('E2E_REDIRECT_URI')],
  };
  const redirect = first.redirect_uris[0] as string;
  const rp = await relyingParty(issuer, first);
  const who = person(label);
  {
    const browser = new Browser(new URL(issuer).origin);
    const auth = await authorizationUrl(rp, redirect, OFFLINE);
    await signUp(browser, pageOf(await visit(browser, auth.url)), who);
  }

  /** A browser of its own, signed in with the password, and the tokens of that sign-in. */
  async function signedInBrowser() {
    const browser = new Browser(new URL(issuer).origin);
    onBrowser(browser);
    const auth = await authorizationUrl(rp, redirect, OFFLINE);
    const result = await signIn(
      browser,
      pageOf(await visit(browser, auth.url)),
      who.email,
      who.password,
    );
    return { browser, tokens: await exchangeCode(rp, callbackOf(result), auth) };
  }

  /** New tokens by single sign-on in the browser's session (a sign-in page fails it). */
  async function sso(browser: Browser) {
    const auth = await authorizationUrl(rp, redirect, OFFLINE);
    return exchangeCode(rp, callbackOf(await visit(browser, auth.url)), auth);
  }

  return { rp, signedInBrowser, sso };
}

export type SignedIn = Awaited<
  ReturnType<Awaited<ReturnType<typeof signedUpPerson>>['signedInBrowser']>
>;
