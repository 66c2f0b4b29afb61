// The enabled upstream providers: one line per provider, present when its credentials are set.
import type { UpstreamSettings } from '../config.ts';
import { facebook } from './providers/facebook.ts';
import { google } from './providers/google.ts';
import { x } from './providers/x.ts';
import type { UpstreamOptions, UpstreamProvider } from './upstream.ts';

export type Upstreams = ReadonlyMap<string, UpstreamProvider>;

export function createUpstreams(settings: UpstreamSettings, options: UpstreamOptions): Upstreams {
  const providers: (UpstreamProvider | undefined)[] = [
    settings.google && google(settings.google, options),
    settings.facebook && facebook(settings.facebook, options),
    settings.x && x(settings.x, options),
  ];
  return new Map(providers.filter((p) => p !== undefined).map((p) => [p.id, p]));
}
