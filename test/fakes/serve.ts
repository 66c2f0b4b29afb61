// Runs every fake upstream with interactive sign-in pages for a local demo: node test/fakes/serve.ts
//
// Settings (environment, all optional), for each fake's PREFIX (GOOGLE, FACEBOOK, X; test/fakes/all.ts):
//   FAKE_{PREFIX}_PORT                         (4101, 4102, 4103)
//   {PREFIX}_CLIENT_ID                         (fake-google-client, fake-facebook-app, fake-x-client)
//   {PREFIX}_CLIENT_SECRET                     (random unless set)
//   FAKE_REDIRECT_BASE=http://localhost:3000   (Latchkey's public URL; callbacks are /federation/<id>/callback)
//   FAKE_LISTEN_HOST=127.0.0.1                 (0.0.0.0 inside a container whose ports are published)
//   FAKE_PUBLIC_HOST=127.0.0.1                 (host name in the URLs handed out, e.g. a compose service name)
// Latchkey must be started with the same ids and secrets; this prints the variables to give it.
import { randomBytes } from 'node:crypto';
import { ALL_FAKES } from './all.ts';
import type { Fake, FakeClient } from './shared.ts';

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

async function main(): Promise<void> {
  const redirectBase = setting('FAKE_REDIRECT_BASE', 'http://localhost:3000').replace(/\/+$/, '');
  const network = {
    listenHost: setting('FAKE_LISTEN_HOST', '127.0.0.1'),
    publicHost: setting('FAKE_PUBLIC_HOST', '127.0.0.1'),
  };

  const running: Fake<string>[] = [];
  const variables: Record<string, string> = {};
  try {
    for (const fake of ALL_FAKES) {
      const client: FakeClient = {
        clientId: setting(`${fake.envPrefix}_CLIENT_ID`, fake.clientId),
        // A random secret unless given: the printed variables hand it to Latchkey.
        clientSecret: setting(
          `${fake.envPrefix}_CLIENT_SECRET`,
          randomBytes(24).toString('base64url'),
        ),
        redirectUris: [`${redirectBase}/federation/${fake.id}/callback`],
      };
      const started = await fake.start({
        ...network,
        port: portSetting(`FAKE_${fake.envPrefix}_PORT`, fake.port),
        clients: [client],
      });
      running.push(started);
      Object.assign(variables, fake.env(started.url, client));
    }
  } catch (error) {
    await Promise.all(running.map((fake) => fake.close()));
    throw error;
  }

  const ids = ALL_FAKES.map((fake) => fake.id).join(',');
  console.log('# The fake upstreams are up; each sign-in shows a page to type a name and email.');
  console.log(`# Registered callbacks: ${redirectBase}/federation/{${ids}}/callback`);
  console.log('# Start Latchkey with:');
  for (const [name, value] of Object.entries(variables)) console.log(`${name}=${value}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`# ${signal}: stopping the fake upstreams`);
    Promise.all(running.map((fake) => fake.close())).then(
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
