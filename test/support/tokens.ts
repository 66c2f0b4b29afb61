// Raw token-endpoint requests (so many can be fired at once and every answer kept), fresh codes.
import axios from 'axios';
import type { Browser } from './browser.ts';
import {
  authorizationUrl,
  callbackOf,
  consent,
  signUpAndAuthorize,
  type TestClient,
  visit,
} from './oidc.ts';

export interface TokenReply {
  status: number;
  data: Record<string, unknown>;
  headers: Record<string, string>;
}

const http = axios.create({ validateStatus: () => true, maxRedirects: 0, timeout: 20_000 });

/** POST /token as the client (client_secret_basic, or client_id alone for public clients). */
export async function tokenRequest(
  issuer: string,
  c: TestClient,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenReply> {
  const body = new URLSearchParams(params);
  const auth: Record<string, string> = {};
  if (c.client_secret) {
    const basic = `${encodeURIComponent(c.client_id)}:${encodeURIComponent(c.client_secret)}`;
    auth.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  } else {
    body.set('client_id', c.client_id);
  }
  const res = await http.post(`${issuer}/token`, body.toString(), {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth, ...headers },
  });
  return {
    status: res.status,
    data: res.data as Record<string, unknown>,
    headers: res.headers as Record<string, string>,
  };
}

export const refresh = (issuer: string, c: TestClient, refreshToken: string) =>
  tokenRequest(issuer, c, { grant_type: 'refresh_token', refresh_token: refreshToken });

/** The status /userinfo answers for an access token: 200 while it is valid. */
export async function userinfoStatus(issuer: string, accessToken: unknown): Promise<number> {
  const res = await http.get(`${issuer}/userinfo`, {
    headers: { authorization: `Bearer ${String(accessToken)}` },
  });
  return res.status;
}

/** A new person signs up (that code is exchanged), then gets a second code, not yet exchanged. */
export async function freshCode(issuer: string, c: TestClient, params: Record<string, string>) {
  const first = await signUpAndAuthorize(issuer, c, params);
  const auth = await authorizationUrl(first.rp, c.redirect_uris[0] as string, params);
  let result = await visit(first.browser, auth.url);
  if (!result.external && result.response.data.includes('/consent')) {
    result = await consent(first.browser, result.response.data, 'allow');
  }
  const callback = callbackOf(result);
  const code = callback.searchParams.get('code') as string;
  const exchange = () =>
    tokenRequest(issuer, c, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: auth.redirectUri,
      code_verifier: auth.verifier,
    });
  return { ...first, code, exchange };
}

/** The value of the provider's session cookie in this browser. */
export async function sessionCookie(browser: Browser): Promise<string> {
  const cookies = await browser.jar.getCookies(browser.origin);
  const session = cookies.find((c) => c.key === 'latchkey.session');
  if (!session) throw new Error('no session cookie');
  return session.value;
}

/**
 * Fires `count` requests at once, or with `afterFirst` one first and, once it has its answer, the
 * others at once: the two orders in which duplicates of a request can reach the server.
 */
export async function atOnce<T>(
  count: number,
  send: () => Promise<T>,
  afterFirst = false,
): Promise<T[]> {
  if (!afterFirst) return Promise.all(Array.from({ length: count }, send));
  const first = await send();
  return [first, ...(await Promise.all(Array.from({ length: count - 1 }, send)))];
}
