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
