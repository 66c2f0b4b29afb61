// Every fake upstream, one line each, and where they are for Latchkey.
import { fakeFacebook } from './facebook.ts';
import { fakeGoogle } from './google.ts';
import type { FakeUpstream } from './shared.ts';
import { fakeX } from './x.ts';

export const ALL_FAKES: readonly FakeUpstream[] = [fakeGoogle, fakeFacebook, fakeX];

/**
 * Latchkey's settings for every fake at its fixed port on `host`, without the credentials: the
 * compose files and scripts/run.sh pass those (ids, and secrets made anew for each run) themselves.
 */
export function fakeEndpointsEnv(host: string): Record<string, string> {
  const entries = ALL_FAKES.flatMap((fake) => {
    const credentials = [`${fake.envPrefix}_CLIENT_ID`, `${fake.envPrefix}_CLIENT_SECRET`];
    const env = fake.env(`http://${host}:${fake.port}`, { clientId: '', clientSecret: '' });
    return Object.entries(env).filter(([name]) => !credentials.includes(name));
  });
  return Object.fromEntries(entries);
}
