// The one interface every upstream implements, its definition (settings, origins), and the errors it may raise.
import * as client from 'openid-client';
import type { MessageKey } from '../i18n/t.ts';
import type { UpstreamIdentity } from './upstream-identity.ts';

export type { UpstreamIdentity };

/** What one sign-in attempt sends upstream and must present again at the callback. */
export interface UpstreamRequest {
  /** Our callback URL as registered with the upstream. */
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface Upstream {
  readonly id: string;
  /** Its name as people know it, e.g. on buttons and in the account's sign-in methods. */
  readonly name: string;
  authorizationUrl(request: UpstreamRequest): Promise<URL>;
  /** Redeems the code in the callback parameters and reads the person's profile. */
  complete(callback: URLSearchParams, request: UpstreamRequest): Promise<UpstreamIdentity>;
}

/** Something went wrong at an upstream; `upstream` is its id. */
export abstract class UpstreamError extends Error {
  readonly upstream: string;

  constructor(upstream: string, message: string, options?: { cause?: unknown }) {
    super(`${upstream}: ${message}`, options);
    this.name = new.target.name;
    this.upstream = upstream;
  }
}

/** The person declined at the upstream. */
export class UpstreamDenied extends UpstreamError {
  constructor(upstream: string) {
    super(upstream, 'the person declined');
  }
}

/** The upstream could not be reached, timed out or failed on its side. */
export class UpstreamUnavailable extends UpstreamError {
  constructor(upstream: string, options?: { cause?: unknown }) {
    super(upstream, 'unavailable', options);
  }
}

/** The upstream answered, but not acceptably (bad token, failed check, misconfiguration). */
export class UpstreamRejected extends UpstreamError {}

/** The upstream account is valid but our policy does not admit it: outside the allowed domain. */
export class UpstreamAccountNotAllowed extends UpstreamRejected {
  /** The only domain whose accounts may sign in (the edge words the refusal with it). */
  readonly domain: string;

  constructor(upstream: string, domain: string) {
    super(upstream, `account outside ${domain}`);
    this.domain = domain;
  }
}

export interface UpstreamOptions {
  /** How long to wait for any answer from the upstream. */
  timeoutMs: number;
}

/** Both halves of a client registration with an upstream. */
export interface UpstreamCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * How an upstream reads its settings: config.ts passes one in, so it stays the only reader of the
 * environment and lists every problem together.
 */
export interface SettingsReader {
  /** The trimmed value, or undefined when unset or blank. */
  optional(name: string): string | undefined;
  /** An endpoint: https, or plain http on loopback hosts (or anywhere when insecure upstreams are allowed). */
  url(name: string, fallback: string): string;
  boolean(name: string, fallback: boolean): boolean;
  problem(message: string): void;
}

/** Colours of a button, each #rrggbb. */
export interface ButtonColors {
  readonly background: string;
  readonly text: string;
  readonly border: string;
}

/**
 * The sign-in button as the upstream's branding guidelines draw it. The mark is inline SVG using
 * presentation attributes only (no style attribute, no remote reference), so the CSP allows it.
 */
export interface UpstreamButtonLook {
  /** The catalogue sentence on the button, given `{{upstream}}` = the upstream's name. */
  readonly label: MessageKey;
  readonly light: ButtonColors;
  /** Colours under prefers-color-scheme: dark, where the guidelines give some. */
  readonly dark: ButtonColors;
  /** The mark, an <svg> element with aria-hidden="true". */
  readonly svg: string;
}

/**
 * Everything about one upstream: its settings, how it is created and where it sends the browser.
 * Adding an upstream is one file exporting one of these plus one line in registry.ts.
 */
export interface UpstreamDefinition<Id extends string = string, Settings = unknown> {
  /** Our name for it, in URLs (/federation/{id}/callback) and stored identities. */
  readonly id: Id;
  /** Its name as people know it, e.g. on buttons and in the account's sign-in methods. */
  readonly name: string;
  readonly button: UpstreamButtonLook;
  /** Its variables start with this: {PREFIX}_CLIENT_ID and {PREFIX}_CLIENT_SECRET turn it on. */
  readonly envPrefix: string;
  /** Reads its other settings; called only when both credentials are set. */
  readSettings(env: SettingsReader, credentials: UpstreamCredentials): Settings;
  /** Origins the browser is sent to from our pages (the CSP form-action must allow them). */
  origins(settings: Settings): string[];
  create(settings: Settings, options: UpstreamOptions): Upstream;
}

function isNetworkFailure(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    (error instanceof TypeError && /fetch failed/i.test(error.message)) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN'].includes(
      (error as { code?: string } | null)?.code ?? '',
    )
  );
}

/** Sorts whatever openid-client or fetch threw into our three outcomes. */
export function classifyUpstreamError(upstream: string, error: unknown): Error {
  if (error instanceof UpstreamError) return error;
  if (error instanceof client.AuthorizationResponseError) {
    if (error.error === 'access_denied') return new UpstreamDenied(upstream);
    if (error.error === 'temporarily_unavailable' || error.error === 'server_error') {
      return new UpstreamUnavailable(upstream, { cause: error });
    }
    return new UpstreamRejected(upstream, `authorization error ${error.error}`, { cause: error });
  }
  // openid-client wraps the failing Response or the network error as a cause.
  let cause: unknown = error;
  for (let depth = 0; cause && depth < 5; depth++) {
    const status = (cause as { status?: unknown }).status;
    if ((typeof status === 'number' && status >= 500) || isNetworkFailure(cause)) {
      return new UpstreamUnavailable(upstream, { cause: error });
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new UpstreamRejected(upstream, message, { cause: error });
}

/** Reads a JSON API answer, sorting failures like token endpoint failures. */
export async function readJson(upstream: string, response: Response): Promise<unknown> {
  if (response.status >= 500) {
    throw new UpstreamUnavailable(upstream, { cause: new Error(`HTTP ${response.status}`) });
  }
  if (!response.ok) {
    throw new UpstreamRejected(upstream, `profile request answered HTTP ${response.status}`);
  }
  try {
    return await response.json();
  } catch (error) {
    throw new UpstreamRejected(upstream, 'profile response is not JSON', { cause: error });
  }
}

/** openid-client refuses plain http unless told; config only allows it for loopback hosts. */
export function allowLoopbackHttp(
  configuration: client.Configuration,
  urls: readonly string[],
): void {
  if (urls.some((u) => u.startsWith('http:'))) client.allowInsecureRequests(configuration);
}

/** A plain OAuth 2.0 server (no discovery, no id_token) for openid-client. */
export function oauth2Configuration(input: {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** The API called with the tokens, for the plain-http check. */
  apiUrl: string;
  clientId: string;
  clientAuthentication: client.ClientAuth;
  timeoutMs: number;
}): client.Configuration {
  const config = new client.Configuration(
    {
      issuer: new URL(input.authorizationEndpoint).origin,
      authorization_endpoint: input.authorizationEndpoint,
      token_endpoint: input.tokenEndpoint,
    },
    input.clientId,
    undefined,
    input.clientAuthentication,
  );
  config.timeout = input.timeoutMs / 1000;
  allowLoopbackHttp(config, [input.tokenEndpoint, input.apiUrl]);
  return config;
}

/** The callback URL openid-client expects: our registered redirect URI plus the response. */
export function callbackUrl(redirectUri: string, callback: URLSearchParams): URL {
  const url = new URL(redirectUri);
  for (const [key, value] of callback) url.searchParams.append(key, value);
  return url;
}

export const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
