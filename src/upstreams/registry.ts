// Every upstream Latchkey can sign in through, one entry each in UPSTREAMS. Settings, the CSP's
// origins and the sign-in buttons all come from this list; nothing else names an upstream.
import { facebook } from './facebook.ts';
import { google } from './google.ts';
import type {
  SettingsReader,
  Upstream,
  UpstreamButtonLook,
  UpstreamDefinition,
  UpstreamOptions,
} from './upstream.ts';
import { x } from './x.ts';

export const UPSTREAMS = [google, facebook, x] as const satisfies readonly UpstreamDefinition[];

type Definition = (typeof UPSTREAMS)[number];

/** Each upstream's settings under its id; an upstream is present only when its credentials are set. */
export type UpstreamSettings = {
  readonly [D in Definition as D['id']]?: ReturnType<D['readSettings']>;
};

export type Upstreams = ReadonlyMap<string, Upstream>;

/** The enabled upstreams and their settings, in registry order. */
function enabled(settings: UpstreamSettings): [UpstreamDefinition, unknown][] {
  const byId: Readonly<Record<string, unknown>> = settings;
  return UPSTREAMS.filter((d) => byId[d.id] !== undefined).map((d) => [d, byId[d.id]]);
}

/** UPSTREAM_ORDER: the ids it lists first, then the others in registry order. */
export function readUpstreamOrder(env: SettingsReader): string[] {
  const ids: string[] = UPSTREAMS.map((d) => d.id);
  const text = env.optional('UPSTREAM_ORDER');
  if (text === undefined) return ids;
  const listed = text
    .split(',')
    .map((id) => id.trim().toLowerCase())
    .filter((id) => id !== '');
  const seen = new Set<string>();
  for (const id of listed) {
    if (!ids.includes(id)) {
      env.problem(
        `UPSTREAM_ORDER names "${id}", which is not an upstream (known: ${ids.join(', ')})`,
      );
    } else if (seen.has(id)) {
      env.problem(`UPSTREAM_ORDER lists "${id}" twice`);
    }
    seen.add(id);
  }
  const first = ids
    .filter((id) => seen.has(id))
    .sort((a, b) => listed.indexOf(a) - listed.indexOf(b));
  return [...first, ...ids.filter((id) => !seen.has(id))];
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

/** The enabled upstreams, keyed by id, iterating in `order` (the order of the buttons). */
export function createUpstreams(
  settings: UpstreamSettings,
  options: UpstreamOptions,
  order: readonly string[] = UPSTREAMS.map((d) => d.id),
): Upstreams {
  const rank = (id: string) => order.indexOf(id);
  const sorted = enabled(settings).sort(([a], [b]) => rank(a.id) - rank(b.id));
  return new Map(sorted.map(([d, s]) => [d.id, d.create(s, options)]));
}

/** Where our sign-in buttons send the browser: every enabled upstream's authorization origins. */
export function upstreamOrigins(settings: UpstreamSettings): string[] {
  return [...new Set(enabled(settings).flatMap(([d, s]) => d.origins(s)))];
}

/** Every upstream's button as its guidelines draw it, by id. */
export const UPSTREAM_BUTTONS: ReadonlyMap<string, UpstreamButtonLook> = new Map(
  UPSTREAMS.map((d) => [d.id, d.button]),
);
