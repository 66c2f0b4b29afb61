// Starts every fake upstream (test/fakes/all.ts), and the settings that point Latchkey at them.
import { randomBytes } from 'node:crypto';
import { ALL_FAKES } from '../fakes/all.ts';
import type { FakeFacebook } from '../fakes/facebook.ts';
import type { FakeGoogle } from '../fakes/google.ts';
import type { Fake, FakeCredentials } from '../fakes/shared.ts';
import type { FakeX } from '../fakes/x.ts';

export interface Upstreams {
  google: FakeGoogle;
  facebook: FakeFacebook;
  x: FakeX;
  /** Every fake by upstream id. */
  all: ReadonlyMap<string, Fake<string>>;
  /** Environment for Latchkey: credentials and endpoints of every fake. */
  env: Record<string, string>;
  /** Registers Latchkey's callback URLs once its issuer (and so its port) is known. */
  register(issuer: string): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startUpstreams(): Promise<Upstreams> {
  const started = new Map<string, { fake: Fake<string>; credentials: FakeCredentials }>();
  const env: Record<string, string> = {};
  try {
    for (const upstream of ALL_FAKES) {
      const credentials = {
        clientId: `latchkey-${upstream.id}`,
        clientSecret: randomBytes(24).toString('base64url'),
      };
      const fake = await upstream.start({ clients: [] });
      started.set(upstream.id, { fake, credentials });
      Object.assign(env, upstream.env(fake.url, credentials));
    }
  } catch (error) {
    await Promise.all([...started.values()].map(({ fake }) => fake.close()));
    throw error;
  }
  const all = new Map([...started].map(([id, { fake }]) => [id, fake]));
  const fake = <F>(id: string) => all.get(id) as F;
  return {
    google: fake<FakeGoogle>('google'),
    facebook: fake<FakeFacebook>('facebook'),
    x: fake<FakeX>('x'),
    all,
    env,
    register(issuer) {
      for (const [id, { fake, credentials }] of started) {
        const client = { ...credentials, redirectUris: [`${issuer}/federation/${id}/callback`] };
        fake.clients.splice(0, fake.clients.length, client);
      }
    },
    reset() {
      for (const fake of all.values()) fake.reset();
    },
    async close() {
      await Promise.all([...all.values()].map((fake) => fake.close()));
    },
  };
}
