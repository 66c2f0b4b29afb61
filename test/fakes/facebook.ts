// Fake Facebook: the OAuth dialog, token exchange and Graph API `/me`, with Facebook's error shapes.
import { createHmac } from 'node:crypto';
import * as shared from './shared.ts';

/** Facebook's web login has no discovery document and no JWKS. */
export type FacebookFailureKind = Exclude<shared.FailureKind, 'jwks_5xx' | 'discovery_5xx'>;

export interface FakeFacebook extends shared.Fake<FacebookFailureKind> {
  graphVersion: string;
  endpoints: {
    /** The dialog, served by www.facebook.com in production. */
    authorization: string;
    /** Served by graph.facebook.com in production, like graph and profile. */
    token: string;
    /** Graph API base with the pinned version, e.g. http://127.0.0.1:4102/v23.0 */
    graph: string;
    profile: string;
  };
}

/** Authorization codes live 10 minutes by default. */
export interface FakeFacebookOptions extends shared.FakeOptions {
  /** The only Graph API version the fake answers; 'v23.0' by default. */
  graphVersion?: string;
}

/** The version Latchkey pins by default. */
const GRAPH_VERSION = 'v23.0';
const ACCESS_TOKEN_SECONDS = 5183944;
const KNOWN_PERMISSIONS = new Set([
  'public_profile',
  'email',
  'user_birthday',
  'user_friends',
  'user_gender',
  'user_hometown',
  'user_link',
  'user_location',
  'user_age_range',
]);
const USER_FIELDS = new Set([
  'id',
  'name',
  'email',
  'picture',
  'first_name',
  'last_name',
  'short_name',
]);
const VERSIONED_PATH = /^\/(v\d+\.\d+)(\/.*)$/;
const VERSIONED_ENDPOINTS = new Set(['/dialog/oauth', '/oauth/access_token', '/me']);

function traceId(): string {
  return shared.randomToken(8).replace(/[-_]/g, 'A');
}

/** Facebook's error envelope; Graph answers 400 for OAuth and permission errors. */
function graphError(
  message: string,
  code: number,
  extra: { type?: string; error_subcode?: number; is_transient?: boolean; status?: number } = {},
): shared.FakeResponse {
  const { status = 400, type = 'OAuthException', ...rest } = extra;
  return shared.jsonResponse(
    status,
    { error: { message, type, code, ...rest, fbtrace_id: traceId() } },
    shared.NO_STORE,
  );
}

/** Facebook's redirects back carry the state and end with #_=_. */
function back(a: shared.ValidAuthorization, params: Record<string, string>): shared.FakeResponse {
  return shared.redirectBack(a.redirectUri, { ...params, state: a.state }, { fragment: '_=_' });
}

function dialogErrorPage(heading: string, detail: string): shared.FakeResponse {
  return shared.htmlResponse(400, shared.errorPage('Error | Facebook', heading, detail));
}

/** Graph's `fields` list, split on top-level commas (nested `{...}` lists keep theirs). */
function splitFields(fields: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of fields) {
    if (char === '{') depth++;
    if (char === '}') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current.trim());
  return parts.filter((p) => p !== '');
}

/** Size of `picture`, `picture.type(large)` or `picture.width(200).height(200)`. */
function pictureSize(field: string): { width: number; height: number } {
  const type = /\.type\((\w+)\)/.exec(field)?.[1];
  const typeSize = type === 'large' ? 200 : type === 'normal' ? 100 : 50;
  const width = Number(/\.width\((\d+)\)/.exec(field)?.[1] ?? Number.NaN);
  const height = Number(/\.height\((\d+)\)/.exec(field)?.[1] ?? Number.NaN);
  const w = Number.isFinite(width) ? width : Number.isFinite(height) ? height : typeSize;
  const h = Number.isFinite(height) ? height : w;
  return { width: w, height: h };
}

export async function startFakeFacebook(options: FakeFacebookOptions): Promise<FakeFacebook> {
  const graphVersion = options.graphVersion ?? GRAPH_VERSION;
  if (!/^v\d+\.\d+$/.test(graphVersion)) {
    throw new TypeError(`Bad Graph API version ${graphVersion}`);
  }
  const codeLifetimeMs = options.codeLifetimeMs ?? 600_000;
  const tokenTimeoutMs = options.tokenTimeoutMs ?? 30_000;
  const store = shared.createGrantStore();
  const authorizations: Record<string, string>[] = [];
  const controls = shared.createControls<FacebookFailureKind>(
    'Fake Facebook',
    ['deny', 'authorize_error', 'token_5xx', 'token_timeout', 'profile_5xx'],
    () => store.clear(),
  );
  let fake: FakeFacebook | undefined;
  const clients = () => fake?.clients ?? options.clients;

  const rules = {
    validate(params: Record<string, string>): shared.ValidAuthorization | shared.FakeResponse {
      const client = shared.findClient(clients(), params.client_id);
      if (!client) {
        return dialogErrorPage(
          'Invalid App ID',
          'The provided app ID does not look like a valid app ID.',
        );
      }
      const redirectUri = params.redirect_uri;
      // Strict Mode (on for every app since 2018) demands an exact match with a registered URI.
      if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
        return dialogErrorPage(
          'URL Blocked',
          "This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings. Make sure Client and Web OAuth Login are on and add all your app domains as Valid OAuth Redirect URIs.",
        );
      }
      const responseType = params.response_type ?? 'code';
      // Facebook also offers token and granted_scopes responses; the fake only runs the code flow.
      if (responseType !== 'code') {
        return dialogErrorPage(
          'Unsupported response_type',
          `response_type=${responseType} is not supported here; use code.`,
        );
      }
      // Facebook itself tolerates a missing state; the fake refuses it because Latchkey must send one.
      if (params.state === undefined || params.state === '') {
        return dialogErrorPage('Missing state', 'The state parameter is required.');
      }
      const requested = (params.scope ?? '').split(/[\s,]+/).filter((s) => s !== '');
      const invalid = requested.filter((s) => !KNOWN_PERMISSIONS.has(s));
      if (invalid.length > 0) {
        return dialogErrorPage(
          `Invalid Scopes: ${invalid.join(', ')}`,
          'This message is only shown to developers. Users of your app will ignore these permissions if present. Please read the documentation for valid permissions at: https://developers.facebook.com/docs/facebook-login/permissions',
        );
      }
      // public_profile is always granted.
      const scopes = [...new Set(['public_profile', ...requested])];
      // PKCE as documented for manually built flows: S256 or plain on the dialog, and then the
      // token endpoint demands a matching code_verifier (see the Facebook provider in src/).
      const codeChallenge = params.code_challenge;
      const codeChallengeMethod =
        codeChallenge === undefined ? undefined : (params.code_challenge_method ?? 'plain');
      if (
        codeChallenge !== undefined &&
        codeChallengeMethod !== undefined &&
        ((codeChallengeMethod !== 'S256' && codeChallengeMethod !== 'plain') ||
          !shared.isValidCodeChallenge(codeChallengeMethod, codeChallenge))
      ) {
        return dialogErrorPage(
          'Invalid code_challenge',
          'code_challenge or code_challenge_method is invalid.',
        );
      }
      return {
        client,
        redirectUri,
        state: params.state,
        scopes,
        codeChallenge,
        codeChallengeMethod,
        params,
      };
    },
    denied: (a: shared.ValidAuthorization) =>
      back(a, {
        error: 'access_denied',
        error_code: '200',
        error_description: 'Permissions error',
        error_reason: 'user_denied',
      }),
    failed: (a: shared.ValidAuthorization) =>
      back(a, {
        error: 'server_error',
        error_code: '2',
        error_description: 'An unexpected error has occurred. Please retry your request later.',
      }),
    page(a: shared.ValidAuthorization) {
      return shared.htmlResponse(
        200,
        shared.signInPage({
          providerName: 'Fake Facebook',
          clientId: a.client.clientId,
          scope: a.scopes.join(','),
          request: a.params,
          fields: [
            { name: 'fake_name', label: 'Name', type: 'text' },
            { name: 'fake_email', label: 'Email (blank: the account has none)', type: 'email' },
          ],
        }),
      );
    },
    userFromAnswers(answers: Record<string, string>): shared.FakeUser {
      const email = answers.email ? answers.email.toLowerCase() : undefined;
      const name = shared.displayNameFor(answers.name, email);
      return {
        // Same email (or name when there is none), same app-scoped id.
        sub: shared.stableNumericId(`facebook:${email ?? name}`, 17),
        name,
        email,
      };
    },
    approve(a: shared.ValidAuthorization, user: shared.FakeUser) {
      const code = `AQ${shared.randomToken(96)}`;
      store.issueCode(code, a, user, codeLifetimeMs);
      return back(a, { code });
    },
  };

  async function tokenEndpoint(
    request: shared.FakeRequest,
  ): Promise<shared.FakeResponse | undefined> {
    if (controls.take('token_timeout') && !(await http.sleep(tokenTimeoutMs))) return undefined;
    if (controls.take('token_5xx')) {
      return graphError('An unexpected error has occurred. Please retry your request later.', 2, {
        status: 500,
        is_transient: true,
      });
    }
    // Facebook reads parameters from the query and from a form body alike; HTTP Basic is ignored.
    const params =
      request.method === 'POST' && shared.isFormBody(request.headers)
        ? {
            ...shared.paramsOf(request.url.searchParams),
            ...shared.paramsOf(new URLSearchParams(request.body)),
          }
        : shared.paramsOf(request.url.searchParams);
    if (params.client_id === undefined) return graphError('Missing client_id parameter.', 101);
    const client = shared.findClient(clients(), params.client_id);
    if (!client) return graphError('Error validating application. Invalid application ID.', 101);
    if (params.redirect_uri === undefined) {
      return graphError('Missing redirect_uri parameter.', 191);
    }
    if (params.client_secret === undefined) {
      return graphError('Missing client_secret parameter.', 1);
    }
    if (!shared.safeEqual(params.client_secret, client.clientSecret)) {
      return graphError('Error validating client secret.', 1);
    }
    if (params.grant_type !== undefined && params.grant_type !== 'authorization_code') {
      return graphError(`Unsupported grant_type: ${params.grant_type}`, 100);
    }
    if (params.code === undefined) return graphError('Missing code parameter.', 100);
    const issued = store.codes.get(params.code);
    if (!issued) return graphError('Invalid verification code format.', 100);
    if (issued.clientId !== client.clientId) {
      return graphError('Error validating verification code.', 100);
    }
    const replayed = issued.used;
    shared.consumeCode(store, issued);
    if (replayed) {
      return graphError('This authorization code has been used.', 100, { error_subcode: 36009 });
    }
    if (issued.expiresAt <= Date.now()) {
      return graphError('This authorization code has expired.', 100, { error_subcode: 36007 });
    }
    if (params.redirect_uri !== issued.redirectUri) {
      return graphError(
        'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
        100,
        { error_subcode: 36008 },
      );
    }
    if (issued.codeChallenge !== undefined) {
      if (
        params.code_verifier === undefined ||
        !shared.verifierMatches(
          issued.codeChallengeMethod ?? 'plain',
          issued.codeChallenge,
          params.code_verifier,
        )
      ) {
        return graphError('Invalid code_verifier.', 100);
      }
    }
    const accessToken = `EAA${shared.randomToken(120).replace(/[-_]/g, 'Z')}`;
    store.issueToken(accessToken, issued, ACCESS_TOKEN_SECONDS);
    return shared.jsonResponse(
      200,
      { access_token: accessToken, token_type: 'bearer', expires_in: ACCESS_TOKEN_SECONDS },
      shared.NO_STORE,
    );
  }

  function meEndpoint(request: shared.FakeRequest): shared.FakeResponse {
    if (controls.take('profile_5xx')) {
      return graphError('An unexpected error has occurred. Please retry your request later.', 2, {
        status: 500,
        is_transient: true,
      });
    }
    const query = request.url.searchParams;
    const presented =
      query.get('access_token') ?? shared.bearerToken(request.headers, ['bearer', 'oauth']);
    if (!presented) {
      return graphError(
        'An active access token must be used to query information about the current user.',
        2500,
      );
    }
    const token = shared.liveToken(store, presented);
    if (!token) return graphError('Invalid OAuth access token - Cannot parse access token', 190);
    const client = shared.findClient(clients(), token.clientId);
    if (!client) {
      return graphError('Error validating application. Application has been deleted.', 190);
    }
    // The app has "Require App Secret" on, so every call carries appsecret_proof.
    const proof = query.get('appsecret_proof');
    if (!proof) {
      return graphError('API calls from the server require an appsecret_proof argument', 100, {
        type: 'GraphMethodException',
      });
    }
    const time = query.get('appsecret_time');
    const signed = time === null ? presented : `${presented}|${time}`;
    const expected = createHmac('sha256', client.clientSecret).update(signed).digest('hex');
    if (!shared.safeEqual(proof.toLowerCase(), expected)) {
      return graphError('Invalid appsecret_proof provided in the API argument', 100, {
        type: 'GraphMethodException',
      });
    }

    const user = token.user;
    // Without `fields` Graph returns only id and name.
    const fields = splitFields(query.get('fields') ?? 'id,name');
    const unknown = fields.map((f) => f.split(/[.{]/)[0] ?? f).filter((f) => !USER_FIELDS.has(f));
    if (unknown.length > 0) {
      return graphError(
        `(#100) Tried accessing nonexisting field (${unknown[0]}) on node type (User)`,
        100,
      );
    }
    const name = user.name ?? 'Fake User';
    const [firstName, ...rest] = name.split(/\s+/);
    const profile: Record<string, unknown> = {};
    for (const field of fields) {
      const fieldName = field.split(/[.{]/)[0] ?? field;
      if (fieldName === 'id') profile.id = user.sub;
      else if (fieldName === 'name') profile.name = name;
      else if (fieldName === 'first_name') profile.first_name = firstName;
      else if (fieldName === 'last_name' && rest.length > 0) profile.last_name = rest.join(' ');
      else if (fieldName === 'short_name') profile.short_name = firstName;
      // Email needs both the permission and an address on the account.
      else if (fieldName === 'email' && user.email && token.scopes.includes('email'))
        profile.email = user.email;
      else if (fieldName === 'picture') {
        const { width, height } = pictureSize(field);
        profile.picture = {
          data: {
            height,
            is_silhouette: !user.picture,
            url:
              user.picture ??
              `https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=${user.sub}&height=${height}&width=${width}&ext=1700000000&hash=AbFake`,
            width,
          },
        };
      }
    }
    // Graph always includes the id, after the requested fields.
    if (!('id' in profile)) profile.id = user.sub;
    return shared.jsonResponse(200, profile);
  }

  async function handle(request: shared.FakeRequest): Promise<shared.FakeResponse | undefined> {
    const path = request.url.pathname;
    const answered = shared.answerSignInPage(request, rules, controls, authorizations);
    if (answered) return answered;
    const versioned = VERSIONED_PATH.exec(path);
    if (!versioned) {
      // Facebook would fall back to the app's oldest version; the fake makes that mistake visible.
      if (VERSIONED_ENDPOINTS.has(path)) {
        return path === '/dialog/oauth'
          ? dialogErrorPage('API version required', `Use /${graphVersion}/dialog/oauth.`)
          : graphError(
              `An API version is required in the path, e.g. /${graphVersion}${path}: unversioned calls fall back to the oldest version available to the app.`,
              100,
            );
      }
      return graphError(`Unknown path components: ${path}`, 2500);
    }
    const [, version, endpoint] = versioned;
    if (version !== graphVersion) {
      return graphError(`Unsupported API version ${version}: this app calls ${graphVersion}.`, 100);
    }
    if (endpoint === '/dialog/oauth' && request.method === 'GET') {
      return shared.authorize(
        rules,
        controls,
        authorizations,
        shared.paramsOf(request.url.searchParams),
      );
    }
    if (
      endpoint === '/oauth/access_token' &&
      (request.method === 'GET' || request.method === 'POST')
    ) {
      return tokenEndpoint(request);
    }
    if (endpoint === '/me' && request.method === 'GET') return meEndpoint(request);
    return graphError(`Unknown path components: ${endpoint}`, 2500);
  }

  const http = await shared.startHttpServer(options.port, handle, options);
  const base = `${http.url}/${graphVersion}`;
  fake = {
    ...shared.assembleFake(http, controls, options.clients, authorizations),
    graphVersion,
    endpoints: {
      authorization: `${base}/dialog/oauth`,
      token: `${base}/oauth/access_token`,
      graph: base,
      profile: `${base}/me`,
    },
  };
  return fake;
}

export const fakeFacebook = {
  id: 'facebook',
  envPrefix: 'FACEBOOK',
  port: 4102,
  clientId: 'fake-facebook-app',
  start: startFakeFacebook,
  env: (url, credentials) => ({
    FACEBOOK_AUTHORIZATION_ENDPOINT: `${url}/${GRAPH_VERSION}/dialog/oauth`,
    FACEBOOK_TOKEN_ENDPOINT: `${url}/${GRAPH_VERSION}/oauth/access_token`,
    FACEBOOK_GRAPH_URL: `${url}/${GRAPH_VERSION}`,
    FACEBOOK_CLIENT_ID: credentials.clientId,
    FACEBOOK_CLIENT_SECRET: credentials.clientSecret,
  }),
} satisfies shared.FakeUpstream<FakeFacebook>;
