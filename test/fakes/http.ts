// HTTP helpers for the fakes' own tests: raw requests, PKCE pairs, redirects and error pages.
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** RFC 6749 2.3.1: each half is form-urlencoded before the Base64 step. */
function formEncode(text: string): string {
  return new URLSearchParams({ v: text }).toString().slice(2);
}

export function basicAuth(clientId: string, secret: string, encode = true): string {
  const pair = encode ? `${formEncode(clientId)}:${formEncode(secret)}` : `${clientId}:${secret}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers });
}

export function postForm(
  url: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
    signal,
  });
}

export function urlWith(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.href;
}

export function locationOf(response: Response): URL {
  expect(response.status, 'a redirect').to.be.oneOf([302, 303]);
  const location = response.headers.get('location');
  expect(location, 'a Location header').to.be.a('string');
  return new URL(location as string);
}

/** The query of the redirect back to the client, with no other parameters to hide a mistake. */
export function callbackParams(response: Response, redirectUri: string): Record<string, string> {
  const location = locationOf(response);
  expect(`${location.origin}${location.pathname}`).to.equal(redirectUri);
  return Object.fromEntries(location.searchParams);
}

export async function expectErrorPage(response: Response, text: RegExp): Promise<void> {
  expect(response.status).to.equal(400);
  expect(response.headers.get('location')).to.equal(null);
  expect(response.headers.get('content-type')).to.match(/^text\/html/);
  expect(await response.text()).to.match(text);
}

export async function json(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).to.match(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

/** Hidden fields of the interactive page, i.e. the original authorization request. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = (match[2] as string)
      .replaceAll('&amp;', '&')
      .replaceAll('&quot;', '"');
  }
  return fields;
}

/** Waits until the fake has logged a request to `path`, e.g. one it is stalling. */
export async function requestArrived(
  fake: { requests: { path: string }[] },
  path: string,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (fake.requests.some((r) => r.path.startsWith(path))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no request to ${path}`);
}

/** A Google Workspace person most of the fakes' own tests sign in as. */
export const alice = {
  sub: '108765432109876543210',
  name: 'Alice Example',
  email: 'alice@example.com',
  emailVerified: true,
  picture: 'https://lh3.googleusercontent.com/a/alice',
  hd: 'example.com',
};
