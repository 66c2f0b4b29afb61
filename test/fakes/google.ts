// Fake Google: an OpenID Connect provider with Google's endpoints, parameters and error shapes.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as shared from './shared.ts';

/** 'legacy_iss': the next id_token says `iss: "accounts.google.com"`, as Google sometimes does. */
export type GoogleFailureKind = shared.FailureKind | 'legacy_iss';

export const GOOGLE_LEGACY_ISSUER = 'accounts.google.com';

export interface FakeGoogle extends shared.Fake<GoogleFailureKind> {
  /** Equals url: no trailing slash, like https://accounts.google.com */
  issuer: string;
  endpoints: {
    discovery: string;
    authorization: string;
    token: string;
    userinfo: string;
    jwks: string;
  };
}

/** Authorization codes live 60 s by default. */
export type FakeGoogleOptions = shared.FakeOptions;

const PATHS = {
  discovery: '/.well-known/openid-configuration',
  authorization: '/o/oauth2/v2/auth',
  token: '/token',
  userinfo: '/v1/userinfo',
  jwks: '/oauth2/v3/certs',
};

// Google answers with the URL form of the profile and email scopes, whichever form was asked for.
const SCOPE_URLS: Record<string, string> = {
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
};
const SCOPE_ALIASES: Record<string, string> = {
  openid: 'openid',
  email: 'email',
  profile: 'profile',
  [SCOPE_URLS.email as string]: 'email',
  [SCOPE_URLS.profile as string]: 'profile',
};

const PROMPTS = new Set(['none', 'consent', 'select_account']);
const ACCESS_TOKEN_SECONDS = 3599;
const ID_TOKEN_SECONDS = 3600;

function grantedScopeString(scopes: string[]): string {
  return scopes.map((s) => SCOPE_URLS[s] ?? s).join(' ');
}

function splitName(name: string | undefined): { given_name?: string; family_name?: string } {
  const parts = name?.trim().split(/\s+/) ?? [];
  if (parts.length === 0 || parts[0] === '') return {};
  const [given, ...family] = parts;
  return family.length > 0
    ? { given_name: given, family_name: family.join(' ') }
    : { given_name: given };
}

/** The profile claims that the granted scopes release, shared by the id_token and userinfo. */
function profileClaims(user: shared.FakeUser, scopes: string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.sub };
  if (user.hd) claims.hd = user.hd;
  if (scopes.includes('email') && user.email) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified === true;
  }
  if (scopes.includes('profile')) {
    if (user.name) Object.assign(claims, { name: user.name }, splitName(user.name));
    if (user.picture) claims.picture = user.picture;
  }
  return claims;
}

function authorizationErrorPage(code: string, detail: string): shared.FakeResponse {
  return shared.htmlResponse(
    400,
    shared.errorPage('Access blocked: Authorization Error', `Error ${code}`, detail),
  );
}

export async function startFakeGoogle(options: FakeGoogleOptions): Promise<FakeGoogle> {
  const codeLifetimeMs = options.codeLifetimeMs ?? 60_000;
  const tokenTimeoutMs = options.tokenTimeoutMs ?? 30_000;
  const store = shared.createGrantStore();
  const authorizations: Record<string, string>[] = [];
  const controls = shared.createControls<GoogleFailureKind>(
    'Fake Google',
    [
      'deny',
      'authorize_error',
      'token_5xx',
      'token_timeout',
      'profile_5xx',
      'jwks_5xx',
      'discovery_5xx',
      'legacy_iss',
    ],
    () => store.clear(),
  );

  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = { keys: [{ ...publicJwk, alg: 'RS256', use: 'sig', kid }] };

  // Filled in once the port is known; handlers only run after that.
  let issuer = '';
  let fake: FakeGoogle | undefined;
  const clients = () => fake?.clients ?? options.clients;

  const rules = {
    validate(params: Record<string, string>): shared.ValidAuthorization | shared.FakeResponse {
      const client = shared.findClient(clients(), params.client_id);
      if (params.client_id === undefined) {
        return authorizationErrorPage(
          '400: invalid_request',
          'Missing required parameter: client_id',
        );
      }
      if (!client) {
        return authorizationErrorPage('401: invalid_client', 'The OAuth client was not found.');
      }
      const redirectUri = params.redirect_uri;
      if (redirectUri === undefined) {
        return authorizationErrorPage(
          '400: invalid_request',
          'Missing required parameter: redirect_uri',
        );
      }
      if (!client.redirectUris.includes(redirectUri)) {
        return authorizationErrorPage(
          '400: redirect_uri_mismatch',
          `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. redirect_uri=${redirectUri}`,
        );
      }
      if (params.response_type === undefined) {
        return authorizationErrorPage(
          '400: invalid_request',
          'Required parameter is missing: response_type',
        );
      }
      // Google also runs implicit and hybrid flows; this fake only runs the code flow.
      if (params.response_type !== 'code') {
        return authorizationErrorPage(
          '400: unsupported_response_type',
          `Unsupported response_type: ${params.response_type}`,
        );
      }
      if (params.scope === undefined || params.scope.trim() === '') {
        return authorizationErrorPage('400: invalid_request', 'Missing required parameter: scope');
      }
      const requested = params.scope.split(' ').filter((s) => s !== '');
      const invalid = requested.filter((s) => !Object.hasOwn(SCOPE_ALIASES, s));
      if (invalid.length > 0) {
        return authorizationErrorPage(
          '400: invalid_scope',
          `Some requested scopes were invalid. {invalid=[${invalid.join(', ')}]}`,
        );
      }
      const scopes = [...new Set(requested.map((s) => SCOPE_ALIASES[s] as string))];
      // Google would run plain OAuth without openid; Latchkey federates with OpenID Connect only.
      if (!scopes.includes('openid')) {
        return authorizationErrorPage('400: invalid_request', 'scope must include openid');
      }
      // Google accepts no PKCE from web clients; the fake insists because Latchkey always sends it.
      const codeChallenge = params.code_challenge;
      if (codeChallenge === undefined) {
        return authorizationErrorPage(
          '400: invalid_request',
          'Missing required parameter: code_challenge',
        );
      }
      const codeChallengeMethod = params.code_challenge_method ?? 'plain';
      if (codeChallengeMethod !== 'S256' && codeChallengeMethod !== 'plain') {
        return authorizationErrorPage('400: invalid_request', 'Invalid code_challenge_method');
      }
      if (!shared.isValidCodeChallenge(codeChallengeMethod, codeChallenge)) {
        return authorizationErrorPage('400: invalid_request', 'Invalid code_challenge');
      }
      const prompts = (params.prompt ?? '').split(' ').filter((p) => p !== '');
      if (
        prompts.some((p) => !PROMPTS.has(p)) ||
        (prompts.includes('none') && prompts.length > 1)
      ) {
        return authorizationErrorPage('400: invalid_request', `Invalid prompt: ${params.prompt}`);
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
    withoutInteraction(a: shared.ValidAuthorization) {
      return a.params.prompt === 'none'
        ? shared.redirectBack(a.redirectUri, { error: 'login_required', state: a.state })
        : undefined;
    },
    page(a: shared.ValidAuthorization) {
      const hint = a.params.login_hint ?? '';
      return shared.htmlResponse(
        200,
        shared.signInPage({
          providerName: 'Fake Google',
          clientId: a.client.clientId,
          scope: a.params.scope ?? '',
          request: a.params,
          fields: [
            { name: 'fake_name', label: 'Name', type: 'text' },
            {
              name: 'fake_email',
              label: 'Email',
              type: 'email',
              value: hint.includes('@') ? hint : '',
              required: true,
            },
            {
              name: 'fake_email_verified',
              label: 'Email verified',
              type: 'checkbox',
              checked: true,
            },
            {
              name: 'fake_hd',
              label: 'Workspace domain (hd), blank for a personal account',
              type: 'text',
              value: a.params.hd ?? '',
            },
          ],
        }),
      );
    },
    userFromAnswers(answers: Record<string, string>): shared.FakeUser | shared.FakeResponse {
      const email = answers.email?.toLowerCase();
      if (!email?.includes('@')) {
        return shared.htmlResponse(
          400,
          shared.errorPage(
            'Sign in to shared.Fake Google',
            'Email required',
            'Go back and enter an email address.',
          ),
        );
      }
      return {
        // Same email, same subject, so a person finds the same account again.
        sub: shared.stableNumericId(`google:${email}`, 21),
        name: shared.displayNameFor(answers.name, email),
        email,
        emailVerified: answers.email_verified === 'true',
        hd: answers.hd || undefined,
      };
    },
    approve(a: shared.ValidAuthorization, user: shared.FakeUser) {
      // Google's codes contain a slash, so clients must URL-decode the callback properly.
      const code = `4/0A${shared.randomToken(48)}`;
      store.issueCode(code, a, user, codeLifetimeMs);
      return shared.redirectBack(a.redirectUri, {
        state: a.state,
        code,
        scope: grantedScopeString(a.scopes),
        hd: user.hd,
        authuser: '0',
        prompt: a.params.prompt === 'none' ? 'none' : 'consent',
      });
    },
  };

  async function idTokenFor(
    clientId: string,
    user: shared.FakeUser,
    scopes: string[],
    accessToken: string,
    nonce: string | undefined,
  ): Promise<string> {
    const legacy = controls.take('legacy_iss') || user.legacyIssuer === true;
    const digest = createHash('sha256').update(accessToken).digest();
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: legacy ? GOOGLE_LEGACY_ISSUER : issuer,
      azp: clientId,
      aud: clientId,
      ...profileClaims(user, scopes),
      at_hash: digest.subarray(0, digest.length / 2).toString('base64url'),
      iat: now,
      exp: now + ID_TOKEN_SECONDS,
    };
    if (nonce !== undefined) claims.nonce = nonce;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .sign(privateKey);
  }

  async function tokenEndpoint(
    request: shared.FakeRequest,
  ): Promise<shared.FakeResponse | undefined> {
    if (request.method !== 'POST') {
      return shared.tokenError(405, 'invalid_request', 'Invalid HTTP method.');
    }
    if (controls.take('token_timeout') && !(await http.sleep(tokenTimeoutMs))) return undefined;
    if (controls.take('token_5xx')) {
      return shared.tokenError(503, 'internal_failure', 'The service is currently unavailable.');
    }
    const params = shared.tokenForm(
      request,
      (repeated) => `Duplicate parameter: ${repeated.join(', ')}`,
    );
    if (shared.isResponse(params)) return params;

    // client_secret_basic or client_secret_post, never both (RFC 6749 2.3).
    const basic = shared.basicCredentials(request.headers);
    if (basic.kind === 'malformed') return shared.tokenError(401, 'invalid_client', 'Unauthorized');
    if (basic.kind === 'present' && params.client_secret !== undefined) {
      return shared.tokenError(
        400,
        'invalid_request',
        'Client authentication must use exactly one method.',
      );
    }
    if (
      basic.kind === 'present' &&
      params.client_id !== undefined &&
      params.client_id !== basic.clientId
    ) {
      return shared.tokenError(
        400,
        'invalid_request',
        'client_id does not match the Authorization header.',
      );
    }
    const clientId = basic.kind === 'present' ? basic.clientId : params.client_id;
    const secret = basic.kind === 'present' ? basic.clientSecret : params.client_secret;
    if (clientId === undefined) {
      return shared.tokenError(
        400,
        'invalid_request',
        'Could not determine client ID from request.',
      );
    }
    const client = shared.findClient(clients(), clientId);
    if (!client) return shared.tokenError(401, 'invalid_client', 'The OAuth client was not found.');
    if (secret === undefined || !shared.safeEqual(secret, client.clientSecret)) {
      return shared.tokenError(401, 'invalid_client', 'Unauthorized');
    }

    if (params.grant_type !== 'authorization_code') {
      return shared.tokenError(
        400,
        'unsupported_grant_type',
        `Invalid grant_type: ${params.grant_type ?? ''}`,
      );
    }
    if (params.code === undefined) {
      return shared.tokenError(400, 'invalid_request', 'Missing required parameter: code');
    }
    const issued = store.codes.get(params.code);
    if (!issued) return shared.tokenError(400, 'invalid_grant', 'Malformed auth code.');
    if (issued.clientId !== client.clientId) {
      return shared.tokenError(400, 'invalid_grant', 'Unauthorized');
    }
    // Any attempt by the owning client uses the code up, as a one-time credential should.
    const replayed = issued.used;
    shared.consumeCode(store, issued);
    if (replayed || issued.expiresAt <= Date.now()) {
      return shared.tokenError(400, 'invalid_grant', 'Bad Request');
    }
    if (params.redirect_uri === undefined) {
      return shared.tokenError(400, 'invalid_request', 'Missing parameter: redirect_uri');
    }
    if (params.redirect_uri !== issued.redirectUri) {
      return shared.tokenError(400, 'redirect_uri_mismatch', 'Bad Request');
    }
    if (issued.codeChallenge !== undefined) {
      if (params.code_verifier === undefined) {
        return shared.tokenError(400, 'invalid_grant', 'Missing code verifier.');
      }
      if (
        !shared.verifierMatches(
          issued.codeChallengeMethod ?? 'plain',
          issued.codeChallenge,
          params.code_verifier,
        )
      ) {
        return shared.tokenError(400, 'invalid_grant', 'Invalid code verifier.');
      }
    }

    const accessToken = `ya29.${shared.randomToken(64)}`;
    store.issueToken(accessToken, issued, ACCESS_TOKEN_SECONDS);
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: ACCESS_TOKEN_SECONDS,
    };
    if (issued.request.access_type === 'offline')
      body.refresh_token = `1//${shared.randomToken(48)}`;
    body.scope = grantedScopeString(issued.scopes);
    body.token_type = 'Bearer';
    body.id_token = await idTokenFor(
      client.clientId,
      issued.user,
      issued.scopes,
      accessToken,
      issued.request.nonce,
    );
    return shared.jsonResponse(200, body, shared.NO_STORE);
  }

  function userinfoEndpoint(request: shared.FakeRequest): shared.FakeResponse {
    if (controls.take('profile_5xx')) {
      return shared.jsonResponse(503, {
        error: {
          code: 503,
          message: 'The service is currently unavailable.',
          status: 'UNAVAILABLE',
        },
      });
    }
    const token = shared.liveToken(
      store,
      shared.bearerToken(request.headers) ??
        request.url.searchParams.get('access_token') ??
        undefined,
    );
    if (!token) {
      return shared.jsonResponse(
        401,
        { error: 'invalid_request', error_description: 'Invalid Credentials' },
        { 'www-authenticate': `Bearer realm="${issuer}/", error="invalid_token"` },
      );
    }
    return shared.jsonResponse(200, profileClaims(token.user, token.scopes));
  }

  function discoveryDocument() {
    return {
      issuer,
      authorization_endpoint: `${issuer}${PATHS.authorization}`,
      token_endpoint: `${issuer}${PATHS.token}`,
      userinfo_endpoint: `${issuer}${PATHS.userinfo}`,
      jwks_uri: `${issuer}${PATHS.jwks}`,
      response_types_supported: [
        'code',
        'token',
        'id_token',
        'code token',
        'code id_token',
        'token id_token',
        'code token id_token',
        'none',
      ],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: [
        'aud',
        'email',
        'email_verified',
        'exp',
        'family_name',
        'given_name',
        'iat',
        'iss',
        'name',
        'picture',
        'sub',
      ],
      code_challenge_methods_supported: ['plain', 'S256'],
      grant_types_supported: ['authorization_code'],
    };
  }

  const unavailablePage = () =>
    shared.htmlResponse(
      503,
      shared.errorPage(
        'Error 503 (Service Unavailable)',
        '503.',
        'That’s an error. Please try again later.',
      ),
    );

  async function handle(request: shared.FakeRequest): Promise<shared.FakeResponse | undefined> {
    const path = request.url.pathname;
    if (path === PATHS.discovery && request.method === 'GET') {
      if (controls.take('discovery_5xx')) return unavailablePage();
      return shared.jsonResponse(200, discoveryDocument(), {
        'cache-control': 'public, max-age=3600',
      });
    }
    if (path === PATHS.jwks && request.method === 'GET') {
      if (controls.take('jwks_5xx')) return unavailablePage();
      return shared.jsonResponse(200, jwks, { 'cache-control': 'public, max-age=21600' });
    }
    if (path === PATHS.authorization && (request.method === 'GET' || request.method === 'POST')) {
      // OpenID Connect lets the authorization request arrive as a GET query or a POST form.
      const search =
        request.method === 'GET' ? request.url.searchParams : new URLSearchParams(request.body);
      const repeated = shared.repeatedParams(search);
      if (repeated.length > 0) {
        return authorizationErrorPage(
          '400: invalid_request',
          `Duplicate parameter: ${repeated.join(', ')}`,
        );
      }
      return shared.authorize(rules, controls, authorizations, shared.paramsOf(search));
    }
    const answered = shared.answerSignInPage(request, rules, controls, authorizations);
    if (answered) return answered;
    if (path === PATHS.token) return tokenEndpoint(request);
    if (path === PATHS.userinfo && (request.method === 'GET' || request.method === 'POST')) {
      return userinfoEndpoint(request);
    }
    return shared.htmlResponse(
      404,
      shared.errorPage(
        'Error 404 (Not Found)',
        '404.',
        `The requested URL ${path} was not found on this server.`,
      ),
    );
  }

  const http = await shared.startHttpServer(options.port, handle, options);
  issuer = http.url;
  fake = {
    ...shared.assembleFake(http, controls, options.clients, authorizations),
    issuer,
    endpoints: {
      discovery: `${issuer}${PATHS.discovery}`,
      authorization: `${issuer}${PATHS.authorization}`,
      token: `${issuer}${PATHS.token}`,
      userinfo: `${issuer}${PATHS.userinfo}`,
      jwks: `${issuer}${PATHS.jwks}`,
    },
  };
  return fake;
}

export const fakeGoogle = {
  id: 'google',
  envPrefix: 'GOOGLE',
  port: 4101,
  clientId: 'fake-google-client',
  start: startFakeGoogle,
  env: (url, credentials) => ({
    GOOGLE_ISSUER: url,
    GOOGLE_CLIENT_ID: credentials.clientId,
    GOOGLE_CLIENT_SECRET: credentials.clientSecret,
  }),
} satisfies shared.FakeUpstream<FakeGoogle>;
