// A plain OAuth 2.0 upstream (no OpenID Connect): code flow with PKCE S256, then one profile request.
import * as client from 'openid-client';
import {
  callbackUrl,
  classifyUpstreamError,
  oauth2Configuration,
  readJson,
  type Upstream,
  type UpstreamIdentity,
  type UpstreamOptions,
} from './upstream.ts';

export interface OAuth2Upstream {
  id: string;
  name: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** The API called with the access token, for the plain-http check. */
  apiUrl: string;
  clientId: string;
  clientAuthentication: client.ClientAuth;
  scope: string;
  /** The profile request made with a fresh access token. */
  profileUrl(accessToken: string): URL;
  /** Maps the profile answer to an identity; throws UpstreamRejected when it names nobody. */
  identity(profile: unknown): UpstreamIdentity;
}

/** The only origin a plain OAuth 2 upstream sends the browser to: its authorization endpoint's. */
export const authorizationOrigin = (settings: { authorizationEndpoint: string }) => [
  new URL(settings.authorizationEndpoint).origin,
];

export function oauth2Upstream(upstream: OAuth2Upstream, options: UpstreamOptions) {
  const config = oauth2Configuration({ ...upstream, timeoutMs: options.timeoutMs });
  return {
    id: upstream.id,
    name: upstream.name,
    async authorizationUrl(request) {
      return client.buildAuthorizationUrl(config, {
        redirect_uri: request.redirectUri,
        response_type: 'code',
        scope: upstream.scope,
        state: request.state,
        code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
        code_challenge_method: 'S256',
      });
    },
    async complete(callback, request) {
      let profile: unknown;
      try {
        const tokens = await client.authorizationCodeGrant(
          config,
          callbackUrl(request.redirectUri, callback),
          { pkceCodeVerifier: request.codeVerifier, expectedState: request.state },
        );
        const response = await client.fetchProtectedResource(
          config,
          tokens.access_token,
          upstream.profileUrl(tokens.access_token),
          'GET',
        );
        profile = await readJson(upstream.id, response);
      } catch (error) {
        throw classifyUpstreamError(upstream.id, error);
      }
      return upstream.identity(profile);
    },
  } satisfies Upstream;
}
