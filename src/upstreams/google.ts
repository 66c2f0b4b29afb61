// Google: OpenID Connect via discovery, code + PKCE S256, state and nonce, id_token verified.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import {
  allowLoopbackHttp,
  callbackUrl,
  classifyUpstreamError,
  text,
  type Upstream,
  UpstreamAccountNotAllowed,
  type UpstreamCredentials,
  type UpstreamDefinition,
  type UpstreamOptions,
  UpstreamRejected,
} from './upstream.ts';

export interface GoogleSettings extends UpstreamCredentials {
  /** Discovery base, https://accounts.google.com unless overridden. */
  readonly issuer: string;
  /** When set, only Google Workspace accounts of this domain (the id_token `hd` claim) may sign in. */
  readonly hostedDomain: string | undefined;
}

// Google writes its issuer either way in ID tokens (https://developers.google.com/identity/openid-connect/openid-connect#obtainuserinfo).
const LEGACY_ISSUER = 'accounts.google.com';

function createGoogle(settings: GoogleSettings, options: UpstreamOptions) {
  let discovered: Promise<client.Configuration> | undefined;

  /** Discovery on first use, not at boot: an outage must not stop Latchkey from starting. */
  function configuration(): Promise<client.Configuration> {
    discovered ??= (async () => {
      const timeout = options.timeoutMs / 1000;
      const config = await client.discovery(
        new URL(settings.issuer),
        settings.clientId,
        undefined,
        client.ClientSecretPost(settings.clientSecret),
        settings.issuer.startsWith('http:')
          ? { execute: [client.allowInsecureRequests], timeout }
          : { timeout },
      );
      config.timeout = timeout;
      const metadata = config.serverMetadata();
      allowLoopbackHttp(config, [metadata.token_endpoint ?? '', metadata.jwks_uri ?? '']);
      const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri ?? ''), {
        timeoutDuration: options.timeoutMs,
      });
      const tokenEndpoint = metadata.token_endpoint;
      // Verifies the ID token's signature against Google's keys before openid-client checks its
      // claims, and spells a legacy issuer the way discovery does so that check can pass.
      config[client.customFetch] = async (url, init) => {
        const response = await fetch(url, init as RequestInit);
        if (url !== tokenEndpoint || !response.ok) return response;
        const body = (await response.clone().json()) as { id_token?: unknown };
        if (typeof body.id_token !== 'string') return response;
        const { payload } = await jwtVerify(body.id_token, jwks, {
          issuer: [metadata.issuer, LEGACY_ISSUER],
          audience: settings.clientId,
          algorithms: ['RS256'],
        });
        if (payload.iss === metadata.issuer) return response;
        const [header, , signature] = body.id_token.split('.');
        const normalised = Buffer.from(JSON.stringify({ ...payload, iss: metadata.issuer }));
        body.id_token = `${header}.${normalised.toString('base64url')}.${signature}`;
        return new Response(JSON.stringify(body), {
          status: response.status,
          headers: { 'content-type': 'application/json' },
        });
      };
      return config;
    })().catch((error: unknown) => {
      discovered = undefined;
      throw classifyUpstreamError('google', error);
    });
    return discovered;
  }

  return {
    id: 'google',
    name: 'Google',
    async authorizationUrl(request) {
      const config = await configuration();
      return client.buildAuthorizationUrl(config, {
        redirect_uri: request.redirectUri,
        response_type: 'code',
        scope: 'openid email profile',
        state: request.state,
        nonce: request.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
        code_challenge_method: 'S256',
        prompt: 'select_account',
        ...(settings.hostedDomain ? { hd: settings.hostedDomain } : {}),
      });
    },
    async complete(callback, request) {
      const config = await configuration();
      let claims: client.IDToken | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(
          config,
          callbackUrl(request.redirectUri, callback),
          {
            pkceCodeVerifier: request.codeVerifier,
            expectedState: request.state,
            expectedNonce: request.nonce,
          },
        );
        claims = tokens.claims();
      } catch (error) {
        throw classifyUpstreamError('google', error);
      }
      if (!claims) throw new UpstreamRejected('google', 'no id_token');
      // `hd` is checked in the signed token: the request parameter is only a hint to Google.
      if (settings.hostedDomain && claims.hd !== settings.hostedDomain) {
        throw new UpstreamAccountNotAllowed('google', settings.hostedDomain);
      }
      const email = text(claims.email);
      return {
        upstream: 'google',
        subject: claims.sub,
        email,
        emailVerified: email !== null && claims.email_verified === true,
        name: text(claims.name),
        picture: text(claims.picture),
      };
    },
  } satisfies Upstream;
}

export const google = {
  id: 'google',
  name: 'Google',
  // Google's sign-in branding guidelines: the four-colour G, neutral white (or dark) fill.
  button: {
    label: 'brand.button.sign_in_with',
    light: { background: '#ffffff', text: '#1f1f1f', border: '#747775' },
    dark: { background: '#131314', text: '#e3e3e3', border: '#8e918f' },
    svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" width="20" height="20" aria-hidden="true" focusable="false"><path fill="#EA4335" d="M24 9.5c3.54 0 6.71 1.22 9.21 3.6l6.85-6.85C35.9 2.38 30.47 0 24 0 14.62 0 6.51 5.38 2.56 13.22l7.98 6.19C12.43 13.72 17.74 9.5 24 9.5z"/><path fill="#4285F4" d="M46.98 24.55c0-1.57-.15-3.09-.38-4.55H24v9.02h12.94c-.58 2.96-2.26 5.48-4.78 7.18l7.73 6c4.51-4.18 7.09-10.36 7.09-17.65z"/><path fill="#FBBC05" d="M10.53 28.59c-.48-1.45-.76-2.99-.76-4.59s.27-3.14.76-4.59l-7.98-6.19C.92 16.46 0 20.12 0 24c0 3.88.92 7.54 2.56 10.78l7.97-6.19z"/><path fill="#34A853" d="M24 48c6.48 0 11.93-2.13 15.89-5.81l-7.73-6c-2.15 1.45-4.92 2.3-8.16 2.3-6.26 0-11.57-4.22-13.47-9.91l-7.98 6.19C6.51 42.62 14.62 48 24 48z"/></svg>',
  },
  envPrefix: 'GOOGLE',
  readSettings(env, credentials): GoogleSettings {
    const hostedDomain = env.optional('GOOGLE_HOSTED_DOMAIN')?.toLowerCase();
    if (hostedDomain !== undefined && !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(hostedDomain)) {
      env.problem('GOOGLE_HOSTED_DOMAIN must be a domain name such as example.com');
    }
    return {
      ...credentials,
      issuer: env.url('GOOGLE_ISSUER', 'https://accounts.google.com'),
      hostedDomain,
    };
  },
  // The authorization endpoint is discovered later; Google serves it on the issuer's origin.
  origins: (settings) => [new URL(settings.issuer).origin],
  create: createGoogle,
} satisfies UpstreamDefinition<'google', GoogleSettings>;
