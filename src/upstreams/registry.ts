// Every upstream Latchkey can sign in through, one entry each in UPSTREAMS. Settings, the CSP's
// origins and the sign-in buttons all come from this list; nothing else names an upstream.
import { facebook } from './facebook.ts';
import { google } from './google.ts';
import type { SettingsReader, Upstream, UpstreamDefinition, UpstreamOptions } from './upstream.ts';
import { x } from './x.ts';

export const UPSTREAMS = [google, facebook, x] as const satisfies readonly UpstreamDefinition[];

type Definition = (typeof UPSTREAMS)[number];

/** Each upstream's settings under its id; an upstream is present only when its credentials are set. */
export type UpstreamSettings = {
  readonly [D in Definition as D['id']]?: ReturnType<D['readSettings']>;
};

export type Upstreams = ReadonlyMap<string, Upstream>;

/** The enabled upstreams and their settings, in registry order (the order of the buttons). */
function enabled(settings: UpstreamSettings): [UpstreamDefinition, unknown][] {
  const byId: Readonly<Record<string, unknown>> = settings;
  return UPSTREAMS.filter((d) => byId[d.id] !== undefined).map((d) => [d, byId[d.id]]);
}

/** Reads every upstream's settings; one without both credentials stays off. */
export function readUpstreamSettings(env: SettingsReader): UpstreamSettings {
  const settings: Record<string, unknown> = {};
  for (const definition of UPSTREAMS as readonly UpstreamDefinition[]) {
    const prefix = definition.envPrefix;
    const clientId = env.optional(`${prefix}_CLIENT_ID`);
    const clientSecret = env.optional(`${prefix}_CLIENT_SECRET`);
    if (clientId === undefined && clientSecret === undefined) continue;
    if (clientId === undefined) {
      env.problem(`${prefix}_CLIENT_SECRET is set without ${prefix}_CLIENT_ID`);
    } else if (clientSecret === undefined) {
      env.problem(`${prefix}_CLIENT_ID is set without ${prefix}_CLIENT_SECRET`);
    } else {
      settings[definition.id] = definition.readSettings(env, { clientId, clientSecret });
    }
  }
  return settings as UpstreamSettings;
}

export function createUpstreams(settings: UpstreamSettings, options: UpstreamOptions): Upstreams {
  return new Map(enabled(settings).map(([d, s]) => [d.id, d.create(s, options)]));
}

/** Where our sign-in buttons send the browser: every enabled upstream's authorization origins. */
export function upstreamOrigins(settings: UpstreamSettings): string[] {
  return [...new Set(enabled(settings).flatMap(([d, s]) => d.origins(s)))];
}
