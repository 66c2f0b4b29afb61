// Runs the three fake providers with interactive sign-in pages for a local demo: node test/fakes/serve.ts
//
// Settings (environment, all optional):
//   FAKE_GOOGLE_PORT=4101  FAKE_FACEBOOK_PORT=4102  FAKE_X_PORT=4103
//   FAKE_REDIRECT_BASE=http://localhost:3000   (Latchkey's public URL; callbacks are /federation/<provider>/callback)
//   FAKE_LISTEN_HOST=127.0.0.1                 (0.0.0.0 inside a container whose ports are published)
//   FAKE_PUBLIC_HOST=127.0.0.1                 (host name in the URLs handed out, e.g. a compose service name)
//   GOOGLE_CLIENT_ID=fake-google-client        GOOGLE_CLIENT_SECRET=(random unless set)
//   FACEBOOK_CLIENT_ID=fake-facebook-app       FACEBOOK_CLIENT_SECRET=(random unless set)
//   X_CLIENT_ID=fake-x-client                  X_CLIENT_SECRET=(random unless set)
//   FACEBOOK_GRAPH_VERSION=v23.0
// Latchkey must be started with the same ids and secrets; this prints the variables to give it.
import { randomBytes } from 'node:crypto';
import { startFakeFacebook } from './facebook.ts';
import { startFakeGoogle } from './google.ts';
import type { FakeClient } from './shared.ts';
import { startFakeX } from './x.ts';

function setting(name: string, fallback: string): string {
  const value = process.env[name]?.trim();
  return value ? value : fallback;
}

function portSetting(name: string, fallback: number): number {
  const text = setting(name, String(fallback));
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new Error(`${name} must be a port number (got "${text}")`);
  }
  return port;
}

function clientFor(
  prefix: 'GOOGLE' | 'FACEBOOK' | 'X',
  slug: string,
  redirectBase: string,
): FakeClient {
  return {
    clientId: setting(
      `${prefix}_CLIENT_ID`,
      `fake-${slug}-${slug === 'facebook' ? 'app' : 'client'}`,
    ),
    // A random secret unless given: the printed variables hand it to Latchkey.
    clientSecret: setting(`${prefix}_CLIENT_SECRET`, randomBytes(24).toString('base64url')),
    redirectUris: [`${redirectBase}/federation/${slug}/callback`],
  };
}

async function main(): Promise<void> {
  const redirectBase = setting('FAKE_REDIRECT_BASE', 'http://localhost:3000').replace(/\/+$/, '');
  const googleClient = clientFor('GOOGLE', 'google', redirectBase);
  const facebookClient = clientFor('FACEBOOK', 'facebook', redirectBase);
  const xClient = clientFor('X', 'x', redirectBase);
  const network = {
    listenHost: setting('FAKE_LISTEN_HOST', '127.0.0.1'),
    publicHost: setting('FAKE_PUBLIC_HOST', '127.0.0.1'),
  };

  const google = await startFakeGoogle({
    ...network,
    port: portSetting('FAKE_GOOGLE_PORT', 4101),
    clients: [googleClient],
  });
  const facebook = await startFakeFacebook({
    ...network,
    port: portSetting('FAKE_FACEBOOK_PORT', 4102),
    clients: [facebookClient],
    graphVersion: setting('FACEBOOK_GRAPH_VERSION', 'v23.0'),
  }).catch(async (error: unknown) => {
    await google.close();
    throw error;
  });
  const x = await startFakeX({
    ...network,
    port: portSetting('FAKE_X_PORT', 4103),
    clients: [xClient],
  }).catch(async (error: unknown) => {
    await Promise.all([google.close(), facebook.close()]);
    throw error;
  });

  const variables = {
    GOOGLE_ISSUER: google.issuer,
    GOOGLE_CLIENT_ID: googleClient.clientId,
    GOOGLE_CLIENT_SECRET: googleClient.clientSecret,
    FACEBOOK_AUTHORIZATION_ENDPOINT: facebook.endpoints.authorization,
    FACEBOOK_TOKEN_ENDPOINT: facebook.endpoints.token,
    FACEBOOK_GRAPH_URL: facebook.endpoints.graph,
    FACEBOOK_CLIENT_ID: facebookClient.clientId,
    FACEBOOK_CLIENT_SECRET: facebookClient.clientSecret,
    X_AUTHORIZATION_ENDPOINT: x.endpoints.authorization,
    X_TOKEN_ENDPOINT: x.endpoints.token,
    X_API_URL: x.endpoints.api,
    X_CLIENT_ID: xClient.clientId,
    X_CLIENT_SECRET: xClient.clientSecret,
  };
  console.log(
    '# Fake Google, Facebook and X are up; each sign-in shows a page to type a name and email.',
  );
  console.log(`# Registered callbacks: ${redirectBase}/federation/{google,facebook,x}/callback`);
  console.log('# Start Latchkey with:');
  for (const [name, value] of Object.entries(variables)) console.log(`${name}=${value}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`# ${signal}: stopping the fake providers`);
    Promise.all([google.close(), facebook.close(), x.close()]).then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
