// Facebook: OAuth 2.0 code flow with PKCE S256, then Graph API /me with explicit fields and
// appsecret_proof, on a pinned Graph API version.
// PKCE: Facebook documents code_challenge/code_challenge_method (S256 or plain) on the login dialog
// and code_verifier at /oauth/access_token for manually built login flows ("OIDC Code Flow with
// PKCE for Manually Built Facebook Login Flows", developers.facebook.com/docs/facebook-login/
// guides/advanced/oidc-token, updated 18 Jul 2023, marked "still in testing"). We send both beside
// the app secret, so a code stolen from the redirect cannot be redeemed without the verifier.
import { createHmac } from 'node:crypto';
import * as client from 'openid-client';
import type { FacebookSettings } from '../../config.ts';
import {
  callbackUrl,
  classifyUpstreamError,
  oauth2Configuration,
  readJson,
  text,
  type UpstreamOptions,
  type UpstreamProvider,
  UpstreamRejected,
} from '../upstream.ts';

/** The Graph API fields we read; Graph returns only id and name unless fields are listed. */
interface FacebookProfile {
  id?: unknown;
  name?: unknown;
  email?: unknown;
  picture?: { data?: { url?: unknown; is_silhouette?: unknown } };
}

export const facebook = (settings: FacebookSettings, options: UpstreamOptions) => {
  const config = oauth2Configuration({
    authorizationEndpoint: settings.authorizationEndpoint,
    tokenEndpoint: settings.tokenEndpoint,
    apiUrl: settings.graphUrl,
    clientId: settings.clientId,
    // Facebook reads client_id and client_secret from the request parameters.
    clientAuthentication: client.ClientSecretPost(settings.clientSecret),
    timeoutMs: options.timeoutMs,
  });

  return {
    id: 'facebook',
    name: 'Facebook',
    async authorizationUrl(request) {
      return client.buildAuthorizationUrl(config, {
        redirect_uri: request.redirectUri,
        response_type: 'code',
        scope: 'public_profile,email',
        state: request.state,
        code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
        code_challenge_method: 'S256',
      });
    },
    async complete(callback, request) {
      let profile: FacebookProfile;
      try {
        const tokens = await client.authorizationCodeGrant(
          config,
          callbackUrl(request.redirectUri, callback),
          { pkceCodeVerifier: request.codeVerifier, expectedState: request.state },
        );
        // Proves the call comes from the app's server, as "Require App Secret" demands.
        const proof = createHmac('sha256', settings.clientSecret)
          .update(tokens.access_token)
          .digest('hex');
        const url = new URL(`${settings.graphUrl}/me`);
        url.searchParams.set('fields', 'id,name,email,picture.type(large)');
        url.searchParams.set('appsecret_proof', proof);
        const response = await client.fetchProtectedResource(
          config,
          tokens.access_token,
          url,
          'GET',
        );
        profile = (await readJson('facebook', response)) as FacebookProfile;
      } catch (error) {
        throw classifyUpstreamError('facebook', error);
      }
      const subject = typeof profile.id === 'string' ? profile.id : null;
      if (!subject) throw new UpstreamRejected('facebook', 'profile has no id');
      const picture = profile.picture?.data;
      return {
        provider: 'facebook',
        subject,
        email: text(profile.email),
        // Facebook does not say whether an address was verified, so it never counts as verified.
        emailVerified: false,
        name: text(profile.name),
        picture: picture?.is_silhouette === true ? null : text(picture?.url),
      };
    },
  } satisfies UpstreamProvider;
};
