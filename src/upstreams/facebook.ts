// Facebook: OAuth 2.0 code flow with PKCE S256, then Graph API /me with explicit fields and
// appsecret_proof, on a pinned Graph API version.
// PKCE: Facebook documents code_challenge/code_challenge_method (S256 or plain) on the login dialog
// and code_verifier at /oauth/access_token for manually built login flows ("OIDC Code Flow with
// PKCE for Manually Built Facebook Login Flows", developers.facebook.com/docs/facebook-login/
// guides/advanced/oidc-token, updated 18 Jul 2023, marked "still in testing"). We send both beside
// the app secret, so a code stolen from the redirect cannot be redeemed without the verifier.
import { createHmac } from 'node:crypto';
import * as client from 'openid-client';
import { authorizationOrigin, oauth2Upstream } from './oauth2-upstream.ts';
import {
  text,
  type UpstreamCredentials,
  type UpstreamDefinition,
  UpstreamRejected,
} from './upstream.ts';

export interface FacebookSettings extends UpstreamCredentials {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  /** Graph API base including the pinned version, e.g. https://graph.facebook.com/v23.0 */
  readonly graphUrl: string;
}

/** The Graph API fields we read; Graph returns only id and name unless fields are listed. */
interface FacebookProfile {
  id?: unknown;
  name?: unknown;
  email?: unknown;
  picture?: { data?: { url?: unknown; is_silhouette?: unknown } };
}

const GRAPH_VERSION = /\/v\d+\.\d+(\/|$)/;

export const facebook = {
  id: 'facebook',
  name: 'Facebook',
  // Meta's brand guidelines for Facebook Login: the white f on Facebook blue #0866FF (the 2023
  // brand blue; white on it is 4.8:1, where the older #1877F2 gave 4.2:1, below WCAG AA).
  button: {
    label: 'brand.button.continue_with',
    light: { background: '#0866ff', text: '#ffffff', border: '#0866ff' },
    dark: { background: '#0866ff', text: '#ffffff', border: '#0866ff' },
    svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="#FFFFFF" d="M24 12.073c0-6.627-5.373-12-12-12s-12 5.373-12 12c0 5.99 4.388 10.954 10.125 11.854v-8.385H7.078v-3.47h3.047V9.43c0-3.007 1.792-4.669 4.533-4.669 1.312 0 2.686.235 2.686.235v2.953H15.83c-1.491 0-1.956.925-1.956 1.874v2.25h3.328l-.532 3.47h-2.796v8.385C19.612 23.027 24 18.062 24 12.073z"/></svg>',
  },
  envPrefix: 'FACEBOOK',
  readSettings(env, credentials): FacebookSettings {
    // Facebook falls back to the oldest version an app supports when none is given: pin one.
    const endpoints = {
      authorizationEndpoint: env.url(
        'FACEBOOK_AUTHORIZATION_ENDPOINT',
        'https://www.facebook.com/v23.0/dialog/oauth',
      ),
      tokenEndpoint: env.url(
        'FACEBOOK_TOKEN_ENDPOINT',
        'https://graph.facebook.com/v23.0/oauth/access_token',
      ),
      graphUrl: env.url('FACEBOOK_GRAPH_URL', 'https://graph.facebook.com/v23.0'),
    };
    for (const [name, url] of [
      ['FACEBOOK_AUTHORIZATION_ENDPOINT', endpoints.authorizationEndpoint],
      ['FACEBOOK_TOKEN_ENDPOINT', endpoints.tokenEndpoint],
      ['FACEBOOK_GRAPH_URL', endpoints.graphUrl],
    ] as const) {
      if (!GRAPH_VERSION.test(URL.parse(url)?.pathname ?? '')) {
        env.problem(`${name} must name a Graph API version, e.g. .../v23.0/...`);
      }
    }
    return { ...credentials, ...endpoints };
  },
  origins: authorizationOrigin,
  create: (settings, options) =>
    oauth2Upstream(
      {
        id: 'facebook',
        name: 'Facebook',
        ...settings,
        apiUrl: settings.graphUrl,
        // Facebook reads client_id and client_secret from the request parameters.
        clientAuthentication: client.ClientSecretPost(settings.clientSecret),
        scope: 'public_profile,email',
        profileUrl(accessToken) {
          const url = new URL(`${settings.graphUrl}/me`);
          url.searchParams.set('fields', 'id,name,email,picture.type(large)');
          // Proves the call comes from the app's server, as "Require App Secret" demands.
          const proof = createHmac('sha256', settings.clientSecret)
            .update(accessToken)
            .digest('hex');
          url.searchParams.set('appsecret_proof', proof);
          return url;
        },
        identity(answer) {
          const profile = answer as FacebookProfile;
          const subject = typeof profile.id === 'string' ? profile.id : null;
          if (!subject) throw new UpstreamRejected('facebook', 'profile has no id');
          const picture = profile.picture?.data;
          return {
            upstream: 'facebook',
            subject,
            email: text(profile.email),
            // Facebook does not say whether an address was verified, so it never counts as verified.
            emailVerified: false,
            name: text(profile.name),
            picture: picture?.is_silhouette === true ? null : text(picture?.url),
          };
        },
      },
      options,
    ),
} satisfies UpstreamDefinition<'facebook', FacebookSettings>;
