// X (Twitter): OAuth 2.0 code flow with PKCE S256 and client_secret_basic, then /2/users/me.
import * as client from 'openid-client';
import { authorizationOrigin, oauth2Upstream } from './oauth2-upstream.ts';
import {
  text,
  type UpstreamCredentials,
  type UpstreamDefinition,
  UpstreamRejected,
} from './upstream.ts';

export interface XSettings extends UpstreamCredentials {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  /** API base, e.g. https://api.x.com/2 */
  readonly apiUrl: string;
  /** Ask for the users.email scope (needs elevated access on the X app). */
  readonly requestEmail: boolean;
}

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

/** X usernames are 1-15 letters, digits or underscores; anything else is not shown. */
function handle(value: unknown): string | null {
  return typeof value === 'string' && /^\w{1,15}$/.test(value) ? value : null;
}

export const x = {
  id: 'x',
  name: 'X',
  // X's brand toolkit: the white X mark on black (a light outline keeps it visible on dark pages).
  button: {
    label: 'brand.button.sign_in_with',
    light: { background: '#000000', text: '#ffffff', border: '#000000' },
    dark: { background: '#000000', text: '#ffffff', border: '#8e918f' },
    svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="#FFFFFF" d="M18.244 2.25h3.308l-7.227 8.26 8.502 11.24H16.17l-5.214-6.817L4.99 21.75H1.68l7.73-8.835L1.254 2.25H8.08l4.713 6.231zm-1.161 17.52h1.833L7.084 4.126H5.117z"/></svg>',
  },
  envPrefix: 'X',
  readSettings: (env, credentials): XSettings => ({
    ...credentials,
    authorizationEndpoint: env.url('X_AUTHORIZATION_ENDPOINT', 'https://x.com/i/oauth2/authorize'),
    tokenEndpoint: env.url('X_TOKEN_ENDPOINT', 'https://api.x.com/2/oauth2/token'),
    apiUrl: env.url('X_API_URL', 'https://api.x.com/2'),
    requestEmail: env.boolean('X_REQUEST_EMAIL', false),
  }),
  origins: authorizationOrigin,
  create: (settings, options) =>
    oauth2Upstream(
      {
        id: 'x',
        name: 'X',
        ...settings,
        // X rejects credentials in the body; it requires client_secret_basic.
        clientAuthentication: client.ClientSecretBasic(settings.clientSecret),
        scope: settings.requestEmail
          ? 'users.read tweet.read users.email'
          : 'users.read tweet.read',
        profileUrl() {
          const url = new URL(`${settings.apiUrl}/users/me`);
          url.searchParams.set('user.fields', 'profile_image_url,confirmed_email');
          return url;
        },
        identity(answer) {
          const data = (answer as XUser).data;
          // Key on the numeric id: usernames can be changed and reassigned.
          const subject = typeof data?.id === 'string' ? data.id : null;
          if (!subject) throw new UpstreamRejected('x', 'profile has no id');
          // X only returns an address under confirmed_email once its owner has confirmed it.
          const email = text(data?.confirmed_email);
          return {
            upstream: 'x',
            subject,
            email,
            emailVerified: email !== null,
            name: text(data?.name) ?? text(data?.username),
            picture: text(data?.profile_image_url),
            username: handle(data?.username),
          };
        },
      },
      options,
    ),
} satisfies UpstreamDefinition<'x', XSettings>;
