// Shared pieces of the fake upstream providers: HTTP server, request log, knobs, PKCE and pages.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  /** Google `sub`, Facebook `id`, X `data.id`. */
  sub: string;
  name?: string;
  email?: string;
  /** Google `email_verified`; absent means false, so a test has to opt in to a verified email. */
  emailVerified?: boolean;
  picture?: string;
  /** Google Workspace domain, emitted as the `hd` claim. */
  hd?: string;
  /** X handle; derived from the name or email when absent. */
  username?: string;
  /** Google only: every id_token for this user carries the legacy issuer `accounts.google.com`. */
  legacyIssuer?: boolean;
}

export interface FakeClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export type FailureKind =
  | 'deny'
  | 'authorize_error'
  | 'token_5xx'
  | 'token_timeout'
  | 'profile_5xx'
  | 'jwks_5xx'
  | 'discovery_5xx';

export interface RecordedRequest {
  method: string;
  /** Path with the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Fake<Kind extends string = FailureKind> {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Registered apps; handlers read this array on every request, so tests may edit it. */
  clients: FakeClient[];
  /** Who authorizations sign in as (auto-approved, no page) until changed; undefined = show the page. */
  signInAs(user: FakeUser | undefined): void;
  /** Makes the next matching request fail once; reset() drops pending failures. */
  failNext(kind: Kind): void;
  /** Drops pending failures, the signInAs user, the logs and every issued code and token. */
  reset(): void;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Parameters of each authorization request that passed validation (denied ones included). */
  authorizations: Record<string, string>[];
  close(): Promise<void>;
}

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** The handler's result; undefined when the server closed while the handler was waiting. */
export type FakeHandler = (request: FakeRequest) => Promise<FakeResponse | undefined>;

export interface FakeHttpServer {
  url: string;
  requests: RecordedRequest[];
  /** Waits `ms`; resolves false early when the server closes, so a stalled handler can give up. */
  sleep(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/** An app's credentials, as Latchkey is given them. */
export type FakeCredentials = Pick<FakeClient, 'clientId' | 'clientSecret'>;

/**
 * One fake upstream as the demo, the compose stacks and the tests use it: how to start it and the
 * settings that point Latchkey at it. Every list of fakes loops over ALL_FAKES (all.ts).
 */
export interface FakeUpstream<F extends Fake<string> = Fake<string>> {
  /** The upstream's id in src/upstreams/registry.ts. */
  id: string;
  /** Its variables' prefix, as the upstream's definition reads them (GOOGLE_CLIENT_ID...). */
  envPrefix: string;
  /** Its fixed port in demos and compose stacks. */
  port: number;
  /** The app id registered with it in demos and compose stacks. */
  clientId: string;
  start(options: FakeNetwork & { port?: number; clients: FakeClient[] }): Promise<F>;
  /** Latchkey's settings for this fake reached at `url` (its base URL) with these credentials. */
  env(url: string, credentials: FakeCredentials): Record<string, string>;
}

const MAX_BODY_BYTES = 1_000_000;

/** Where a fake listens and the host name it puts in the URLs it hands out. */
export interface FakeNetwork {
  /** Listen address; 127.0.0.1 unless a container network needs 0.0.0.0. */
  listenHost?: string;
  /** Host in advertised URLs (issuer, endpoints); 127.0.0.1 unless reached by a service name. */
  publicHost?: string;
}

/** What every fake is started with. */
export interface FakeOptions extends FakeNetwork {
  /** A random free port unless given. */
  port?: number;
  clients: FakeClient[];
  /** How long authorization codes live; each fake defaults to its upstream's lifetime. */
  codeLifetimeMs?: number;
  /** How long 'token_timeout' stalls the token endpoint; 30 s by default. */
  tokenTimeoutMs?: number;
}

/** Listens on 127.0.0.1 by default; close() also destroys open and stalled connections so tests never hang. */
export async function startHttpServer(
  port: number | undefined,
  handler: FakeHandler,
  network: FakeNetwork = {},
): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: (waited: boolean) => void }>();
  let base = '';

  async function respond(
    res: ServerResponse,
    request: Omit<FakeRequest, 'url'> & { path: string },
  ): Promise<void> {
    let response: FakeResponse | undefined;
    try {
      // Concatenated rather than resolved, so a path like //host/x stays a path.
      const url = new URL(`${base}${request.path.startsWith('/') ? '' : '/'}${request.path}`);
      response = await handler({ ...request, url });
    } catch (error) {
      console.error('fake provider handler failed', error);
      response = { status: 500, headers: { 'content-type': 'text/plain' }, body: String(error) };
    }
    if (!response || res.destroyed || res.headersSent) return;
    res.writeHead(response.status, response.headers ?? {});
    res.end(response.body ?? '');
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      requests.push({ method, path, headers: { ...req.headers }, body });
      void respond(res, { method, path, body, headers: req.headers });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, network.listenHost ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  base = `http://${network.publicHost ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    requests,
    sleep(ms) {
      return new Promise((resolve) => {
        const sleeper = {
          timer: setTimeout(() => {
            sleepers.delete(sleeper);
            resolve(true);
          }, ms),
          wake: resolve,
        };
        // A stalled request must not keep the process alive on its own.
        sleeper.timer.unref();
        sleepers.add(sleeper);
      });
    },
    async close() {
      for (const sleeper of sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.wake(false);
      }
      sleepers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Pending one-shot failures plus the signed-in user: the state every fake shares. */
export interface FakeControls<Kind extends string> {
  signedInUser: FakeUser | undefined;
  take(kind: Kind): boolean;
  failNext(kind: Kind): void;
  reset(): void;
}

export function createControls<Kind extends string>(
  providerName: string,
  supportedKinds: readonly Kind[],
  onReset: () => void,
): FakeControls<Kind> {
  const pending = new Set<Kind>();
  const controls: FakeControls<Kind> = {
    signedInUser: undefined,
    take(kind) {
      return pending.delete(kind);
    },
    failNext(kind) {
      // Types already narrow the kinds; this catches callers that cast, e.g. jwks_5xx on Facebook.
      if (!supportedKinds.includes(kind)) {
        throw new TypeError(`${providerName} has no "${kind}" failure`);
      }
      pending.add(kind);
    },
    reset() {
      pending.clear();
      controls.signedInUser = undefined;
      onReset();
    },
  };
  return controls;
}

/** Builds the public Fake object around a server and its controls. */
export function assembleFake<Kind extends string>(
  http: FakeHttpServer,
  controls: FakeControls<Kind>,
  clients: FakeClient[],
  authorizations: Record<string, string>[],
): Fake<Kind> {
  return {
    url: http.url,
    clients,
    requests: http.requests,
    authorizations,
    signInAs(user) {
      controls.signedInUser = user;
    },
    failNext(kind) {
      controls.failNext(kind);
    },
    reset() {
      controls.reset();
      http.requests.length = 0;
      authorizations.length = 0;
    },
    close() {
      return http.close();
    },
  };
}

// ---- Responses ----

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** Token responses must not be cached (RFC 6749 5.1). */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export function htmlResponse(status: number, html: string): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: html,
  };
}

/** Sends the browser back to the client; `fragment` models Facebook's `#_=_` suffix. */
export function redirectBack(
  redirectUri: string,
  params: Record<string, string | undefined>,
  options: { status?: number; fragment?: string } = {},
): FakeResponse {
  const target = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) target.searchParams.append(name, value);
  }
  if (options.fragment !== undefined) target.hash = options.fragment;
  return { status: options.status ?? 302, headers: { location: target.href } };
}

// ---- Request parsing ----

export function isFormBody(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'] ?? '';
  return type.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** Parameters as a plain object; a repeated parameter keeps its first value. */
export function paramsOf(search: URLSearchParams): Record<string, string> {
  const firstValues = new Map<string, string>();
  for (const [name, value] of search) {
    if (!firstValues.has(name)) firstValues.set(name, value);
  }
  // fromEntries defines own properties, so names like __proto__ or constructor stay plain data.
  return Object.fromEntries(firstValues);
}

/** Names of parameters sent more than once, which OAuth forbids (RFC 6749 3.1). */
export function repeatedParams(search: URLSearchParams): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of search.keys()) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return [...repeated];
}

export type BasicCredentials =
  | { kind: 'absent' }
  | { kind: 'malformed' }
  | { kind: 'present'; clientId: string; clientSecret: string };

function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/** HTTP Basic client credentials; both halves are form-urlencoded first (RFC 6749 2.3.1). */
export function basicCredentials(headers: IncomingHttpHeaders): BasicCredentials {
  const header = headers.authorization;
  if (!header) return { kind: 'absent' };
  const match = /^basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (!match?.[1]) {
    return header.toLowerCase().startsWith('basic') ? { kind: 'malformed' } : { kind: 'absent' };
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'malformed' };
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === undefined || clientSecret === undefined) return { kind: 'malformed' };
  return { kind: 'present', clientId, clientSecret };
}

/** The token of an `Authorization: Bearer` header, if any. */
export function bearerToken(
  headers: IncomingHttpHeaders,
  schemes = ['bearer'],
): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  if (!schemes.includes(header.slice(0, space).toLowerCase())) return undefined;
  const token = header.slice(space + 1).trim();
  return token === '' ? undefined : token;
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

// ---- PKCE (RFC 7636) ----

const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function isValidCodeChallenge(method: string, challenge: string): boolean {
  return method === 'S256' ? S256_CHALLENGE.test(challenge) : PKCE_VERIFIER.test(challenge);
}

export function verifierMatches(method: string, challenge: string, verifier: string): boolean {
  if (!PKCE_VERIFIER.test(verifier)) return false;
  const computed =
    method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return safeEqual(computed, challenge);
}

// ---- Identifiers ----

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A numeric id of exactly `digits` digits derived from `seed`, like the providers' numeric ids. */
export function stableNumericId(seed: string, digits: number): string {
  const hash = BigInt(`0x${createHash('sha256').update(seed).digest('hex')}`);
  const floor = 10n ** BigInt(digits - 1);
  return (floor + (hash % (9n * floor))).toString();
}

/** Fills in a name from the email's local part when a person left it blank. */
export function displayNameFor(name: string | undefined, email: string | undefined): string {
  if (name && name.trim() !== '') return name.trim();
  const local = email?.split('@')[0];
  return local && local !== '' ? local : 'Fake User';
}

// ---- Codes ----

export interface IssuedCode {
  clientId: string;
  redirectUri: string;
  user: FakeUser;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
  /** Every parameter of the authorization request, for provider-specific extras (nonce, access_type). */
  request: Record<string, string>;
  expiresAt: number;
  used: boolean;
  /** Tokens issued from this code, revoked if the code is replayed (RFC 6749 4.1.2). */
  accessTokens: string[];
}

export interface IssuedToken {
  clientId: string;
  user: FakeUser;
  scopes: string[];
  expiresAt: number;
}

// ---- Pages ----

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const PAGE_STYLE = `
body{font-family:system-ui,sans-serif;background:#f3f4f6;margin:0;padding:2rem 1rem;color:#111}
main{max-width:26rem;margin:0 auto;background:#fff;border-radius:8px;padding:1.5rem 1.75rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 .5rem}
p{color:#444;font-size:.95rem}
label{display:block;margin:.9rem 0 .2rem;font-size:.9rem}
input[type=text],input[type=email]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #bbb;border-radius:4px}
label.check{display:flex;gap:.5rem;align-items:center}
.actions{display:flex;flex-direction:row-reverse;gap:.75rem;margin-top:1.5rem}
button{padding:.55rem 1.2rem;font-size:1rem;border-radius:4px;border:1px solid #888;background:#fff;cursor:pointer}
button[value=continue]{background:#1a56db;color:#fff;border-color:#1a56db}
code{background:#eef;padding:0 .2rem;border-radius:3px}
.error{color:#a40000}`;

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head>
<body><main>${content}</main></body>
</html>`;
}

/** An error shown in the browser instead of redirecting, as providers do for bad clients. */
export function errorPage(title: string, heading: string, detail: string): string {
  return page(title, `<h1>${escapeHtml(heading)}</h1><p class="error">${escapeHtml(detail)}</p>`);
}

export interface SignInField {
  name: string;
  label: string;
  type: 'text' | 'email' | 'checkbox';
  value?: string;
  checked?: boolean;
  required?: boolean;
}

/** Prefix of the page's own fields, kept apart from the authorization request parameters. */
export const SIGN_IN_FIELD_PREFIX = 'fake_';
export const SIGN_IN_PATH = '/fake/sign-in';

/** The interactive sign-in page; the original request travels in hidden fields. */
export function signInPage(options: {
  providerName: string;
  clientId: string;
  scope: string;
  request: Record<string, string>;
  fields: SignInField[];
}): string {
  const hidden = Object.entries(options.request)
    .map(([n, v]) => `<input type="hidden" name="${escapeHtml(n)}" value="${escapeHtml(v)}">`)
    .join('\n');
  const inputs = options.fields
    .map((f) =>
      f.type === 'checkbox'
        ? `<label class="check"><input type="checkbox" name="${f.name}" value="true"${f.checked ? ' checked' : ''}> ${escapeHtml(f.label)}</label>`
        : `<label for="${f.name}">${escapeHtml(f.label)}</label><input id="${f.name}" type="${f.type}" name="${f.name}" value="${escapeHtml(f.value ?? '')}"${f.required ? ' required' : ''}>`,
    )
    .join('\n');
  const title = `Sign in to ${options.providerName}`;
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p>Local test double. App <code>${escapeHtml(options.clientId)}</code> asks for <code>${escapeHtml(options.scope)}</code>.</p>
<form method="post" action="${SIGN_IN_PATH}">
${hidden}
${inputs}
<div class="actions">
<button type="submit" name="${SIGN_IN_FIELD_PREFIX}decision" value="continue">Continue</button>
<button type="submit" name="${SIGN_IN_FIELD_PREFIX}decision" value="deny" formnovalidate>Deny</button>
</div>
</form>`,
  );
}

/** Splits a sign-in form post into the person's answers and the original request. */
export function splitSignInForm(body: string): {
  answers: Record<string, string>;
  request: Record<string, string>;
} {
  const entries = Object.entries(paramsOf(new URLSearchParams(body)));
  const answers = Object.fromEntries(
    entries
      .filter(([name]) => name.startsWith(SIGN_IN_FIELD_PREFIX))
      .map(([name, value]) => [name.slice(SIGN_IN_FIELD_PREFIX.length), value.trim()]),
  );
  const request = Object.fromEntries(
    entries.filter(([name]) => !name.startsWith(SIGN_IN_FIELD_PREFIX)),
  );
  return { answers, request };
}

// ---- Authorization endpoint flow ----

/** An authorization request that passed a provider's checks. */
export interface ValidAuthorization {
  client: FakeClient;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  params: Record<string, string>;
}

/** What differs between providers at the authorization endpoint. */
export interface AuthorizationRules {
  /** A valid request, or the error page/redirect to answer with. */
  validate(params: Record<string, string>): ValidAuthorization | FakeResponse;
  /** The person declined; RFC 6749's access_denied with the state unless given. */
  denied?(authorization: ValidAuthorization): FakeResponse;
  /** The upstream failed; RFC 6749's server_error with the state unless given. */
  failed?(authorization: ValidAuthorization): FakeResponse;
  /** Answer when nobody is signed in and no page may be shown (Google's prompt=none). */
  withoutInteraction?(authorization: ValidAuthorization): FakeResponse | undefined;
  page(authorization: ValidAuthorization): FakeResponse;
  /** The person typed on the page, or the page again with a complaint. */
  userFromAnswers(answers: Record<string, string>): FakeUser | FakeResponse;
  approve(authorization: ValidAuthorization, user: FakeUser): FakeResponse;
}

/** The interactive page's form posted back: the original request, re-validated, with the answers. */
export function answerSignInPage<Kind extends string>(
  request: FakeRequest,
  rules: AuthorizationRules,
  controls: FakeControls<Kind | 'deny' | 'authorize_error'>,
  authorizations: Record<string, string>[],
): FakeResponse | undefined {
  if (request.url.pathname !== SIGN_IN_PATH || request.method !== 'POST') return undefined;
  const { answers, request: original } = splitSignInForm(request.body);
  return authorize(rules, controls, authorizations, original, answers);
}

/** An OAuth 2.0 error from a token endpoint (RFC 6749 5.2), never cached. */
export function tokenError(status: number, error: string, description: string): FakeResponse {
  return jsonResponse(status, { error, error_description: description }, NO_STORE);
}

/** A token request's form, or the error for a body that is not a form or repeats a parameter. */
export function tokenForm(
  request: FakeRequest,
  duplicated: (names: string[]) => string,
): Record<string, string> | FakeResponse {
  if (!isFormBody(request.headers)) {
    return tokenError(
      400,
      'invalid_request',
      'Content-Type must be application/x-www-form-urlencoded.',
    );
  }
  const form = new URLSearchParams(request.body);
  const repeated = repeatedParams(form);
  if (repeated.length > 0) return tokenError(400, 'invalid_request', duplicated(repeated));
  return paramsOf(form);
}

export function isResponse(value: object): value is FakeResponse {
  return 'status' in value;
}

/**
 * Runs an authorization request: from the client's redirect (no answers) or from the
 * interactive page's post (answers set, parameters re-validated since hidden fields are editable).
 */
export function authorize<Kind extends string>(
  rules: AuthorizationRules,
  controls: FakeControls<Kind | 'deny' | 'authorize_error'>,
  authorizations: Record<string, string>[],
  params: Record<string, string>,
  answers?: Record<string, string>,
): FakeResponse {
  const authorization = rules.validate(params);
  if (isResponse(authorization)) return authorization;
  const back = (error: string) =>
    redirectBack(authorization.redirectUri, { error, state: authorization.state });
  const denied = () => rules.denied?.(authorization) ?? back('access_denied');
  if (!answers) authorizations.push(params);
  if (controls.take('deny')) return denied();
  if (controls.take('authorize_error')) {
    return rules.failed?.(authorization) ?? back('server_error');
  }
  if (answers) {
    const user = answers.decision === 'deny' ? undefined : rules.userFromAnswers(answers);
    if (user && isResponse(user)) return user;
    const response = user ? rules.approve(authorization, user) : denied();
    // After the page's POST, 303 makes the browser follow with a GET.
    return response.status === 302 ? { ...response, status: 303 } : response;
  }
  const user = controls.signedInUser;
  if (user) return rules.approve(authorization, user);
  return rules.withoutInteraction?.(authorization) ?? rules.page(authorization);
}

/** Code and token bookkeeping with single use and expiry. */
export interface GrantStore {
  codes: Map<string, IssuedCode>;
  tokens: Map<string, IssuedToken>;
  /** Records a code for an approved authorization; it lives `lifetimeMs`. */
  issueCode(code: string, a: ValidAuthorization, user: FakeUser, lifetimeMs: number): void;
  /** Records an access token redeemed from `code`; it lives `lifetimeSeconds`. */
  issueToken(token: string, code: IssuedCode, lifetimeSeconds: number): IssuedToken;
  clear(): void;
}

export function createGrantStore(): GrantStore {
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, IssuedToken>();
  return {
    codes,
    tokens,
    issueCode(code, a, user, lifetimeMs) {
      codes.set(code, {
        clientId: a.client.clientId,
        redirectUri: a.redirectUri,
        user,
        scopes: a.scopes,
        codeChallenge: a.codeChallenge,
        codeChallengeMethod: a.codeChallengeMethod,
        request: a.params,
        expiresAt: Date.now() + lifetimeMs,
        used: false,
        accessTokens: [],
      });
    },
    issueToken(token, code, lifetimeSeconds) {
      const issued = {
        clientId: code.clientId,
        user: code.user,
        scopes: code.scopes,
        expiresAt: Date.now() + lifetimeSeconds * 1000,
      };
      tokens.set(token, issued);
      code.accessTokens.push(token);
      return issued;
    },
    clear() {
      codes.clear();
      tokens.clear();
    },
  };
}

/** A live token, or undefined when unknown, expired or revoked. */
export function liveToken(store: GrantStore, token: string | undefined): IssuedToken | undefined {
  if (token === undefined) return undefined;
  const issued = store.tokens.get(token);
  if (!issued || issued.expiresAt <= Date.now()) return undefined;
  return issued;
}

/** Marks a code used; replay revokes what it produced. */
export function consumeCode(store: GrantStore, code: IssuedCode): void {
  if (code.used) {
    for (const token of code.accessTokens) store.tokens.delete(token);
  }
  code.used = true;
}

export function findClient(clients: FakeClient[], clientId: string | undefined) {
  return clientId === undefined ? undefined : clients.find((c) => c.clientId === clientId);
}
