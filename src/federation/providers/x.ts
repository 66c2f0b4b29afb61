// X (Twitter): OAuth 2.0 code flow with PKCE S256 and client_secret_basic, then /2/users/me.
import * as client from 'openid-client';
import type { XSettings } from '../../config.ts';
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

/** /2/users/me with user.fields=profile_image_url,confirmed_email. */
interface XUser {
  data?: {
    id?: unknown;
    name?: unknown;
    username?: unknown;
    profile_image_url?: unknown;
    confirmed_email?: unknown;
  };
}

export const x = (settings: XSettings, options: UpstreamOptions) => {
  const config = oauth2Configuration({
    authorizationEndpoint: settings.authorizationEndpoint,
    tokenEndpoint: settings.tokenEndpoint,
    apiUrl: settings.apiUrl,
    clientId: settings.clientId,
    // X rejects credentials in the body; it requires client_secret_basic.
    clientAuthentication: client.ClientSecretBasic(settings.clientSecret),
    timeoutMs: options.timeoutMs,
  });

  return {
    id: 'x',
    name: 'X',
    async authorizationUrl(request) {
      return client.buildAuthorizationUrl(config, {
        redirect_uri: request.redirectUri,
        response_type: 'code',
        scope: settings.requestEmail
          ? 'users.read tweet.read users.email'
          : 'users.read tweet.read',
        state: request.state,
        code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
        code_challenge_method: 'S256',
      });
    },
    async complete(callback, request) {
      let user: XUser;
      try {
        const tokens = await client.authorizationCodeGrant(
          config,
          callbackUrl(request.redirectUri, callback),
          { pkceCodeVerifier: request.codeVerifier, expectedState: request.state },
        );
        const url = new URL(`${settings.apiUrl}/users/me`);
        url.searchParams.set('user.fields', 'profile_image_url,confirmed_email');
        const response = await client.fetchProtectedResource(
          config,
          tokens.access_token,
          url,
          'GET',
        );
        user = (await readJson('x', response)) as XUser;
      } catch (error) {
        throw classifyUpstreamError('x', error);
      }
      const data = user.data;
      // Key on the numeric id: usernames can be changed and reassigned.
      const subject = typeof data?.id === 'string' ? data.id : null;
      if (!subject) throw new UpstreamRejected('x', 'profile has no id');
      // X only returns an address under confirmed_email once its owner has confirmed it.
      const email = text(data?.confirmed_email);
      return {
        provider: 'x',
        subject,
        email,
        emailVerified: email !== null,
        name: text(data?.name) ?? text(data?.username),
        picture: text(data?.profile_image_url),
      };
    },
  } satisfies UpstreamProvider;
};
