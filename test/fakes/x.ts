// Fake X (Twitter): OAuth 2.0 authorization code with PKCE, and `GET /2/users/me`, with X's shapes.

import * as shared from './shared.ts';

/** X has no discovery document and no JWKS: it is not an OpenID Connect provider. */
export type XFailureKind = Exclude<shared.FailureKind, 'jwks_5xx' | 'discovery_5xx'>;

export interface FakeX extends shared.Fake<XFailureKind> {
  endpoints: {
    /** x.com in production. */
    authorization: string;
    /** api.x.com in production, like api and profile. */
    token: string;
    /** API v2 base, e.g. http://127.0.0.1:4103/2 */
    api: string;
    /** Without the user.fields query; add `?user.fields=profile_image_url,confirmed_email`. */
    profile: string;
  };
}

/** Authorization codes live 30 s by default. */
export type FakeXOptions = shared.FakeOptions;

const PATHS = {
  authorization: '/i/oauth2/authorize',
  token: '/2/oauth2/token',
  profile: '/2/users/me',
};
const ACCESS_TOKEN_SECONDS = 7200;
const KNOWN_SCOPES = new Set([
  'tweet.read',
  'tweet.write',
  'tweet.moderate.write',
  'users.email',
  'users.read',
  'follows.read',
  'follows.write',
  'offline.access',
  'space.read',
  'mute.read',
  'mute.write',
  'like.read',
  'like.write',
  'list.read',
  'list.write',
  'block.read',
  'block.write',
  'bookmark.read',
  'bookmark.write',
  'media.write',
  'dm.read',
  'dm.write',
]);
// Copied from the value list X quotes when it refuses a user.fields entry.
const USER_FIELDS = [
  'affiliation',
  'confirmed_email',
  'connection_status',
  'created_at',
  'description',
  'entities',
  'id',
  'is_identity_verified',
  'location',
  'most_recent_tweet_id',
  'name',
  'parody',
  'pinned_tweet_id',
  'profile_banner_url',
  'profile_image_url',
  'protected',
  'public_metrics',
  'receives_your_dm',
  'subscription',
  'subscription_type',
  'url',
  'username',
  'verified',
  'verified_followers_count',
  'verified_type',
  'withheld',
];
const DEFAULT_PROFILE_IMAGE =
  'https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png';

const INVALID_CODE = 'Value passed for the authorization code was invalid.';

function problem(status: number, title: string): shared.FakeResponse {
  return shared.jsonResponse(status, { title, type: 'about:blank', status, detail: title });
}

/** X shows this page, and never redirects, when an authorization request is wrong. */
function authorizeErrorPage(detail: string): shared.FakeResponse {
  return shared.htmlResponse(
    400,
    shared.errorPage(
      'X',
      'Something went wrong',
      `You weren’t able to give access to the App. Go back and try logging in again. (${detail})`,
    ),
  );
}

/** An X handle: letters, digits and underscores, at most 15 characters. */
function usernameFor(user: shared.FakeUser): string {
  if (user.username) return user.username;
  const base = (user.email?.split('@')[0] ?? user.name ?? 'fakeuser').replace(/\W/g, '');
  return (base === '' ? 'fakeuser' : base).slice(0, 15);
}

export async function startFakeX(options: FakeXOptions): Promise<FakeX> {
  const codeLifetimeMs = options.codeLifetimeMs ?? 30_000;
  const tokenTimeoutMs = options.tokenTimeoutMs ?? 30_000;
  const store = shared.createGrantStore();
  const authorizations: Record<string, string>[] = [];
  const controls = shared.createControls<XFailureKind>(
    'Fake X',
    ['deny', 'authorize_error', 'token_5xx', 'token_timeout', 'profile_5xx'],
    () => store.clear(),
  );
  let fake: FakeX | undefined;
  const clients = () => fake?.clients ?? options.clients;

  const rules = {
    validate(params: Record<string, string>): shared.ValidAuthorization | shared.FakeResponse {
      const client = shared.findClient(clients(), params.client_id);
      if (!client) return authorizeErrorPage('unknown client_id');
      const redirectUri = params.redirect_uri;
      if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
        return authorizeErrorPage('redirect_uri does not match a callback URL of the app');
      }
      if (params.response_type !== 'code') return authorizeErrorPage('response_type must be code');
      const scopes = (params.scope ?? '').split(' ').filter((s) => s !== '');
      if (scopes.length === 0) return authorizeErrorPage('scope is required');
      const invalid = scopes.filter((s) => !KNOWN_SCOPES.has(s));
      if (invalid.length > 0) return authorizeErrorPage(`invalid scope: ${invalid.join(' ')}`);
      if (params.state === undefined || params.state === '' || params.state.length > 500) {
        return authorizeErrorPage('state is required (up to 500 characters)');
      }
      const codeChallenge = params.code_challenge;
      if (codeChallenge === undefined) return authorizeErrorPage('code_challenge is required');
      const codeChallengeMethod = params.code_challenge_method ?? 'plain';
      if (codeChallengeMethod !== 'S256' && codeChallengeMethod !== 'plain') {
        return authorizeErrorPage('code_challenge_method must be S256 or plain');
      }
      if (!shared.isValidCodeChallenge(codeChallengeMethod, codeChallenge)) {
        return authorizeErrorPage('invalid code_challenge');
      }
      return {
        client,
        redirectUri,
        state: params.state,
        scopes: [...new Set(scopes)],
        codeChallenge,
        codeChallengeMethod,
        params,
      };
    },
    page(a: shared.ValidAuthorization) {
      return shared.htmlResponse(
        200,
        shared.signInPage({
          providerName: 'Fake X',
          clientId: a.client.clientId,
          scope: a.scopes.join(' '),
          request: a.params,
          fields: [
            { name: 'fake_name', label: 'Name', type: 'text' },
            {
              name: 'fake_username',
              label: 'Username (blank: derived from the email)',
              type: 'text',
            },
            { name: 'fake_email', label: 'Email (blank: the account has none)', type: 'email' },
          ],
        }),
      );
    },
    userFromAnswers(answers: Record<string, string>): shared.FakeUser {
      const email = answers.email ? answers.email.toLowerCase() : undefined;
      const name = shared.displayNameFor(answers.name, email);
      const username = answers.username?.replace(/^@/, '') || undefined;
      return {
        // Same email (or handle, or name) finds the same account again.
        sub: shared.stableNumericId(`x:${email ?? username ?? name}`, 19),
        name,
        email,
        username: usernameFor({ sub: '', name, email, username }),
      };
    },
    approve(a: shared.ValidAuthorization, user: shared.FakeUser) {
      const code = shared.randomToken(64);
      store.issueCode(code, a, user, codeLifetimeMs);
      return shared.redirectBack(a.redirectUri, { state: a.state, code });
    },
  };

  async function tokenEndpoint(
    request: shared.FakeRequest,
  ): Promise<shared.FakeResponse | undefined> {
    if (request.method !== 'POST') return problem(405, 'Method Not Allowed');
    if (controls.take('token_timeout') && !(await http.sleep(tokenTimeoutMs))) return undefined;
    if (controls.take('token_5xx')) {
      return shared.jsonResponse(
        503,
        { errors: [{ message: 'Over capacity', code: 130 }] },
        shared.NO_STORE,
      );
    }
    // Confidential clients authenticate with HTTP Basic only; secrets in the body do not count.
    const basic = shared.basicCredentials(request.headers);
    const client =
      basic.kind === 'present' ? shared.findClient(clients(), basic.clientId) : undefined;
    if (
      basic.kind !== 'present' ||
      !client ||
      !shared.safeEqual(basic.clientSecret, client.clientSecret)
    ) {
      return shared.tokenError(401, 'unauthorized_client', 'Missing valid authorization header');
    }
    const params = shared.tokenForm(
      request,
      (repeated) => `Duplicate parameter [${repeated.join(', ')}].`,
    );
    if (shared.isResponse(params)) return params;
    if (params.client_id !== undefined && params.client_id !== client.clientId) {
      return shared.tokenError(400, 'invalid_request', 'Value passed for client_id was invalid.');
    }
    for (const name of ['grant_type', 'code', 'redirect_uri', 'code_verifier']) {
      if (params[name] === undefined) {
        return shared.tokenError(400, 'invalid_request', `Missing required parameter [${name}].`);
      }
    }
    if (params.grant_type !== 'authorization_code') {
      return shared.tokenError(
        400,
        'invalid_request',
        'Value passed for the grant type was invalid.',
      );
    }
    const issued = store.codes.get(params.code ?? '');
    if (!issued || issued.clientId !== client.clientId) {
      return shared.tokenError(400, 'invalid_request', INVALID_CODE);
    }
    const replayed = issued.used;
    shared.consumeCode(store, issued);
    // X gives one description for a used, expired or mismatched code and for a wrong verifier.
    if (
      replayed ||
      issued.expiresAt <= Date.now() ||
      params.redirect_uri !== issued.redirectUri ||
      issued.codeChallenge === undefined ||
      !shared.verifierMatches(
        issued.codeChallengeMethod ?? 'plain',
        issued.codeChallenge,
        params.code_verifier ?? '',
      )
    ) {
      return shared.tokenError(400, 'invalid_request', INVALID_CODE);
    }

    const accessToken = `${shared.randomToken(60)}:1:0:at:1`;
    store.issueToken(accessToken, issued, ACCESS_TOKEN_SECONDS);
    const body: Record<string, unknown> = {
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_SECONDS,
      access_token: accessToken,
      scope: issued.scopes.join(' '),
    };
    if (issued.scopes.includes('offline.access')) {
      body.refresh_token = `${shared.randomToken(60)}:1:0:rt:1`;
    }
    return shared.jsonResponse(200, body, shared.NO_STORE);
  }

  function profileEndpoint(request: shared.FakeRequest): shared.FakeResponse {
    if (controls.take('profile_5xx')) return problem(503, 'Service Unavailable');
    const token = shared.liveToken(store, shared.bearerToken(request.headers));
    if (!token) return problem(401, 'Unauthorized');
    // /2/users/me needs both scopes, whatever else was granted.
    if (!token.scopes.includes('users.read') || !token.scopes.includes('tweet.read')) {
      return problem(403, 'Forbidden');
    }
    const requested = (request.url.searchParams.get('user.fields') ?? '')
      .split(',')
      .filter((f) => f !== '');
    const invalid = requested.filter((f) => !USER_FIELDS.includes(f));
    if (invalid.length > 0) {
      return shared.jsonResponse(400, {
        errors: [
          {
            parameters: { 'user.fields': invalid },
            message: `The \`user.fields\` query parameter value [${invalid[0]}] is not one of [${USER_FIELDS.join(',')}]`,
          },
        ],
        title: 'Invalid Request',
        detail: 'One or more parameters to your request was invalid.',
        type: 'https://api.twitter.com/2/problems/invalid-request',
      });
    }
    const user = token.user;
    const data: Record<string, unknown> = {
      id: user.sub,
      name: user.name ?? usernameFor(user),
      username: usernameFor(user),
    };
    if (requested.includes('profile_image_url')) {
      data.profile_image_url = user.picture ?? DEFAULT_PROFILE_IMAGE;
    }
    // Only with the users.email scope and an address on the account; most apps never see one.
    if (
      requested.includes('confirmed_email') &&
      token.scopes.includes('users.email') &&
      user.email
    ) {
      data.confirmed_email = user.email;
    }
    if (requested.includes('protected')) data.protected = false;
    if (requested.includes('verified')) data.verified = false;
    if (requested.includes('description')) data.description = '';
    return shared.jsonResponse(200, { data });
  }

  async function handle(request: shared.FakeRequest): Promise<shared.FakeResponse | undefined> {
    const path = request.url.pathname;
    if (path === PATHS.authorization && request.method === 'GET') {
      const repeated = shared.repeatedParams(request.url.searchParams);
      if (repeated.length > 0) {
        return authorizeErrorPage(`duplicate parameter: ${repeated.join(', ')}`);
      }
      return shared.authorize(
        rules,
        controls,
        authorizations,
        shared.paramsOf(request.url.searchParams),
      );
    }
    const answered = shared.answerSignInPage(request, rules, controls, authorizations);
    if (answered) return answered;
    if (path === PATHS.token) return tokenEndpoint(request);
    if (path === PATHS.profile && request.method === 'GET') return profileEndpoint(request);
    return shared.jsonResponse(404, {
      errors: [{ message: 'Sorry, that page does not exist', code: 34 }],
    });
  }

  const http = await shared.startHttpServer(options.port, handle, options);
  fake = {
    ...shared.assembleFake(http, controls, options.clients, authorizations),
    endpoints: {
      authorization: `${http.url}${PATHS.authorization}`,
      token: `${http.url}${PATHS.token}`,
      api: `${http.url}/2`,
      profile: `${http.url}${PATHS.profile}`,
    },
  };
  return fake;
}

export const fakeX = {
  id: 'x',
  envPrefix: 'X',
  port: 4103,
  clientId: 'fake-x-client',
  start: startFakeX,
  env: (url, credentials) => ({
    X_AUTHORIZATION_ENDPOINT: `${url}${PATHS.authorization}`,
    X_TOKEN_ENDPOINT: `${url}${PATHS.token}`,
    X_API_URL: `${url}/2`,
    X_CLIENT_ID: credentials.clientId,
    X_CLIENT_SECRET: credentials.clientSecret,
  }),
} satisfies shared.FakeUpstream<FakeX>;
