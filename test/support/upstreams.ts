// Starts the fake Google, Facebook and X, and the settings that point Latchkey at them.
import { randomBytes } from 'node:crypto';
import { type FakeFacebook, startFakeFacebook } from '../fakes/facebook.ts';
import { type FakeGoogle, startFakeGoogle } from '../fakes/google.ts';
import { type FakeX, startFakeX } from '../fakes/x.ts';

export interface Upstreams {
  google: FakeGoogle;
  facebook: FakeFacebook;
  x: FakeX;
  /** Environment for Latchkey: credentials and endpoints of the three fakes. */
  env: Record<string, string>;
  /** Registers Latchkey's callback URLs once its issuer (and so its port) is known. */
  register(issuer: string): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startUpstreams(): Promise<Upstreams> {
  const secret = () => randomBytes(24).toString('base64url');
  const credentials = {
    google: { clientId: 'latchkey-google', clientSecret: secret() },
    facebook: { clientId: '1234567890', clientSecret: secret() },
    x: { clientId: 'latchkey-x', clientSecret: secret() },
  };
  const google = await startFakeGoogle({ clients: [] });
  const facebook = await startFakeFacebook({ clients: [] });
  const x = await startFakeX({ clients: [] });
  return {
    google,
    facebook,
    x,
    env: {
      GOOGLE_CLIENT_ID: credentials.google.clientId,
      GOOGLE_CLIENT_SECRET: credentials.google.clientSecret,
      GOOGLE_ISSUER: google.issuer,
      FACEBOOK_CLIENT_ID: credentials.facebook.clientId,
      FACEBOOK_CLIENT_SECRET: credentials.facebook.clientSecret,
      FACEBOOK_AUTHORIZATION_ENDPOINT: facebook.endpoints.authorization,
      FACEBOOK_TOKEN_ENDPOINT: facebook.endpoints.token,
      FACEBOOK_GRAPH_URL: facebook.endpoints.graph,
      X_CLIENT_ID: credentials.x.clientId,
      X_CLIENT_SECRET: credentials.x.clientSecret,
      X_AUTHORIZATION_ENDPOINT: x.endpoints.authorization,
      X_TOKEN_ENDPOINT: x.endpoints.token,
      X_API_URL: x.endpoints.api,
    },
    register(issuer) {
      const client = (id: 'google' | 'facebook' | 'x') => ({
        ...credentials[id],
        redirectUris: [`${issuer}/federation/${id}/callback`],
      });
      google.clients.splice(0, google.clients.length, client('google'));
      facebook.clients.splice(0, facebook.clients.length, client('facebook'));
      x.clients.splice(0, x.clients.length, client('x'));
    },
    reset() {
      google.reset();
      facebook.reset();
      x.reset();
    },
    async close() {
      await Promise.all([google.close(), facebook.close(), x.close()]);
    },
  };
}
