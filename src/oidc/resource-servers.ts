// The APIs that accept Latchkey's access tokens (RESOURCE_SERVERS_FILE): read, checked, and asked
// which resources and scopes each client may have. Latchkey's own /api is one of them.
import { readFile } from 'node:fs/promises';
import { currentLocale } from '../i18n/current-locale.ts';

export type AccessTokenFormat = 'jwt' | 'opaque';

/** A description in one language, or by language tag ("en", "de"...); English is the fallback. */
export type LocalizedText = string | Readonly<Record<string, string>>;

export interface ResourceScope {
  name: string;
  /** What the consent page says; undefined only for /api, whose wording is in the catalogue. */
  description: LocalizedText | undefined;
}

export interface ResourceServer {
  /** The audience URI: the `resource` a client asks for and the `aud` of its tokens. */
  audience: string;
  /** Shown on the consent page and by resources:list. */
  name: string;
  scopes: readonly ResourceScope[];
  accessTokenTtlSeconds: number;
  format: AccessTokenFormat;
  /** Only first-party clients may ask for it (always so for Latchkey's own /api). */
  firstPartyOnly: boolean;
  /** Latchkey's own /api (answered by src/api/me.ts, which looks opaque tokens up). */
  latchkeyApi: boolean;
}

/**
 * A client as oidc-provider or the clients file holds it: its `first_party` and `resources`
 * fields decide what it may ask for.
 */
export type ResourceClient = object;

interface ResourceFields {
  first_party?: unknown;
  resources?: unknown;
}

const isFirstPartyClient = (client: ResourceClient) =>
  (client as ResourceFields).first_party === true;

/** A resource a client may ask for, and the scopes it may have there. */
export type AllowedAccess = { allowed: true; server: ResourceServer; scopes: readonly string[] };

export type ResourceAccess =
  | AllowedAccess
  | {
      allowed: false;
      reason: 'unknown_resource' | 'first_party_only' | 'not_allowed';
      message: string;
    };

export class ResourceServersFileError extends Error {
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[]) {
    super(`Invalid resource servers file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ResourceServersFileError';
    this.problems = problems;
  }
}

export const DEFAULT_ACCESS_TOKEN_TTL = 15 * 60;
export const MIN_ACCESS_TOKEN_TTL = 30;
export const MAX_ACCESS_TOKEN_TTL = 24 * 60 * 60;
/** What /api understands (src/api/me.ts): `profile` reads and rewrites, `email` reads. */
export const LATCHKEY_API_SCOPES = ['profile', 'email'] as const;
/** OpenID scopes mean claims about the person; another API may not reuse their names. */
const OIDC_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email', 'address', 'phone']);
// RFC 6749 §3.3 scope-token: printable ASCII except space, " and \.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const FIELDS = new Set([
  'audience',
  'name',
  'scopes',
  'access_token_ttl',
  'format',
  'first_party_only',
]);

export const latchkeyApiAudience = (issuer: string) => `${issuer}/api`;
const issuerOf = (apiAudience: string) => apiAudience.slice(0, -'/api'.length);
/** Stands for ISSUER at the start of an audience in the file. */
export const ISSUER_PLACEHOLDER = '{issuer}';

function defaultApiEntry(issuer: string): ResourceServer {
  return {
    audience: latchkeyApiAudience(issuer),
    name: 'Latchkey API',
    scopes: LATCHKEY_API_SCOPES.map((name) => ({ name, description: undefined })),
    accessTokenTtlSeconds: DEFAULT_ACCESS_TOKEN_TTL,
    format: 'opaque',
    firstPartyOnly: true,
    latchkeyApi: true,
  };
}

function checkAudience(problems: string[], where: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.push(`${where}: audience must be an absolute URI, e.g. https://orders.example.com`);
    return undefined;
  }
  const url = URL.parse(value);
  if (!url) {
    problems.push(`${where}: audience is not an absolute URI: ${value}`);
    return undefined;
  }
  // RFC 8707 §2: a resource indicator has no fragment (and should have no query).
  if (url.hash || value.includes('#')) problems.push(`${where}: audience must not have a fragment`);
  if (url.search || value.includes('?')) problems.push(`${where}: audience must not have a query`);
  if (url.username || url.password)
    problems.push(`${where}: audience must not contain credentials`);
  return value;
}

function checkText(problems: string[], where: string, value: unknown): LocalizedText | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    const bad = entries.filter(
      ([tag, text]) => !LANGUAGE_TAG.test(tag) || typeof text !== 'string' || text.trim() === '',
    );
    if (entries.length > 0 && bad.length === 0) {
      return Object.fromEntries(entries.map(([tag, text]) => [tag, (text as string).trim()]));
    }
  }
  problems.push(
    `${where} must be a non-empty string, or an object of language tag to text, e.g. {"en": "...", "de": "..."}`,
  );
  return undefined;
}

function parseEntry(
  problems: string[],
  raw: unknown,
  index: number,
  apiAudience: string,
): ResourceServer | undefined {
  const where = `resource server #${index + 1}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${where} must be an object`);
    return undefined;
  }
  const entry = raw as Record<string, unknown>;
  // "{issuer}/api" names Latchkey's own API whatever ISSUER is (one file for every environment).
  const written = entry.audience;
  const audience = checkAudience(
    problems,
    where,
    typeof written === 'string' && written.startsWith(ISSUER_PLACEHOLDER)
      ? `${issuerOf(apiAudience)}${written.slice(ISSUER_PLACEHOLDER.length)}`
      : written,
  );
  const label = audience === undefined ? where : `resource server "${audience}"`;
  const latchkeyApi = audience === apiAudience;
  for (const key of Object.keys(entry)) {
    if (!FIELDS.has(key)) {
      problems.push(`${label}: unknown field "${key}" (known: ${[...FIELDS].join(', ')})`);
    }
  }

  let name = audience ?? '';
  if (entry.name !== undefined) {
    if (typeof entry.name !== 'string' || entry.name.trim() === '' || entry.name.length > 100) {
      problems.push(`${label}: name must be a string of 1-100 characters`);
    } else {
      name = entry.name.trim();
    }
  } else if (latchkeyApi) {
    name = 'Latchkey API';
  }

  const format = entry.format ?? (latchkeyApi ? 'opaque' : undefined);
  if (format !== 'jwt' && format !== 'opaque') {
    problems.push(`${label}: format must be "jwt" or "opaque"`);
  } else if (latchkeyApi && format !== 'opaque') {
    problems.push(
      `${label}: Latchkey's own API looks its tokens up, so its format must be "opaque"`,
    );
  }

  const ttl = entry.access_token_ttl ?? DEFAULT_ACCESS_TOKEN_TTL;
  if (
    typeof ttl !== 'number' ||
    !Number.isSafeInteger(ttl) ||
    ttl < MIN_ACCESS_TOKEN_TTL ||
    ttl > MAX_ACCESS_TOKEN_TTL
  ) {
    problems.push(
      `${label}: access_token_ttl must be a whole number of seconds from ${MIN_ACCESS_TOKEN_TTL} to ${MAX_ACCESS_TOKEN_TTL}`,
    );
  }

  const firstPartyOnly = entry.first_party_only ?? latchkeyApi;
  if (typeof firstPartyOnly !== 'boolean') {
    problems.push(`${label}: first_party_only must be true or false`);
  } else if (latchkeyApi && !firstPartyOnly) {
    problems.push(
      `${label}: Latchkey's own API can change the profile, so it is for first-party applications only (first_party_only must be true)`,
    );
  }

  const scopes: ResourceScope[] = [];
  const rawScopes = entry.scopes;
  if (rawScopes === null || typeof rawScopes !== 'object' || Array.isArray(rawScopes)) {
    problems.push(
      `${label}: scopes must be an object of scope name to its description, e.g. {"orders:read": "See your orders"}`,
    );
  } else if (Object.keys(rawScopes).length === 0) {
    problems.push(`${label}: scopes must name at least one scope`);
  } else {
    for (const [scope, description] of Object.entries(rawScopes as Record<string, unknown>)) {
      if (!SCOPE_TOKEN.test(scope)) {
        problems.push(
          `${label}: scope "${scope}" must be 1-128 printable characters without spaces, quotes or backslashes`,
        );
        continue;
      }
      if (latchkeyApi) {
        if (!(LATCHKEY_API_SCOPES as readonly string[]).includes(scope)) {
          problems.push(
            `${label}: scope "${scope}" is not one Latchkey's API understands (${LATCHKEY_API_SCOPES.join(', ')})`,
          );
          continue;
        }
        // The catalogue's wording (in every language) unless the file says otherwise.
        const text =
          description === null || description === ''
            ? undefined
            : checkText(problems, `${label}: the description of "${scope}"`, description);
        scopes.push({ name: scope, description: text });
        continue;
      }
      if (OIDC_SCOPES.has(scope)) {
        problems.push(
          `${label}: scope "${scope}" is an OpenID Connect scope; name the API's scopes apart (e.g. "orders:read")`,
        );
        continue;
      }
      const text = checkText(problems, `${label}: the description of "${scope}"`, description);
      scopes.push({ name: scope, description: text });
    }
  }

  if (audience === undefined) return undefined;
  return {
    audience,
    name,
    scopes,
    accessTokenTtlSeconds: typeof ttl === 'number' ? ttl : DEFAULT_ACCESS_TOKEN_TTL,
    format: format === 'jwt' ? 'jwt' : 'opaque',
    firstPartyOnly: firstPartyOnly === true,
    latchkeyApi,
  };
}

/**
 * Checks a resource servers file and adds Latchkey's own /api when the file does not list it.
 * Every problem is reported at once.
 */
export function parseResourceServers(
  json: unknown,
  issuer: string,
  file = 'RESOURCE_SERVERS_FILE',
): ResourceServer[] {
  if (!Array.isArray(json)) {
    throw new ResourceServersFileError(file, ['the file must hold a JSON array']);
  }
  const problems: string[] = [];
  const apiAudience = latchkeyApiAudience(issuer);
  const servers: ResourceServer[] = [];
  const seen = new Set<string>();
  json.forEach((raw: unknown, i) => {
    const server = parseEntry(problems, raw, i, apiAudience);
    if (!server) return;
    if (seen.has(server.audience)) {
      problems.push(`resource server "${server.audience}" is listed twice`);
    }
    seen.add(server.audience);
    servers.push(server);
  });
  if (problems.length > 0) throw new ResourceServersFileError(file, problems);
  if (!seen.has(apiAudience)) servers.unshift(defaultApiEntry(issuer));
  return servers;
}

export async function loadResourceServers(
  file: string | undefined,
  issuer: string,
): Promise<ResourceServers> {
  if (file === undefined) return new ResourceServers([defaultApiEntry(issuer)]);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ResourceServersFileError(file, [`cannot be read: ${(error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ResourceServersFileError(file, [`is not valid JSON: ${(error as Error).message}`]);
  }
  return new ResourceServers(parseResourceServers(json, issuer, file));
}

/** The shape of a client's `resources` field: audience URI -> the scopes it may ask for there. */
export function checkResourcesField(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const shape = 'resources must be an object of audience URI to a list of scopes';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return shape;
  for (const scopes of Object.values(value as Record<string, unknown>)) {
    if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string' || s === '')) {
      return shape;
    }
  }
  return undefined;
}

const listed = (client: ResourceClient): Readonly<Record<string, readonly string[]>> =>
  ((client as ResourceFields).resources ?? {}) as Readonly<Record<string, readonly string[]>>;

/** The configured resource servers, by audience. */
export class ResourceServers {
  readonly #byAudience: ReadonlyMap<string, ResourceServer>;

  constructor(servers: readonly ResourceServer[]) {
    this.#byAudience = new Map(servers.map((s) => [s.audience, s]));
  }

  list(): ResourceServer[] {
    return [...this.#byAudience.values()];
  }

  get(audience: string): ResourceServer | undefined {
    return this.#byAudience.get(audience);
  }

  /** Latchkey's own /api. */
  get api(): ResourceServer {
    const api = this.list().find((s) => s.latchkeyApi);
    if (!api) throw new Error('the resource servers lack Latchkey API');
    return api;
  }

  /**
   * The one place that decides what a client may ask for at an audience: the scopes listed in
   * its `resources` field; first-party clients also hold every scope of Latchkey's own /api
   * unless they list it. A first-party-only API is refused to everyone else.
   */
  allowedResourceScopes(client: ResourceClient, audience: string): ResourceAccess {
    const server = this.#byAudience.get(audience);
    if (!server) {
      return {
        allowed: false,
        reason: 'unknown_resource',
        message: `unknown resource indicator ${audience}; the resource servers are ${[...this.#byAudience.keys()].join(', ')}`,
      };
    }
    const firstParty = isFirstPartyClient(client);
    if (server.firstPartyOnly && !firstParty) {
      return {
        allowed: false,
        reason: 'first_party_only',
        message: `${audience} is available to first-party applications only`,
      };
    }
    const own = listed(client)[audience];
    if (own === undefined && server.latchkeyApi && firstParty) {
      return { allowed: true, server, scopes: server.scopes.map((s) => s.name) };
    }
    if (own === undefined) {
      return {
        allowed: false,
        reason: 'not_allowed',
        message: `this client may not ask for ${audience} (it is not among the client's resources)`,
      };
    }
    const defined = new Set(server.scopes.map((s) => s.name));
    return { allowed: true, server, scopes: own.filter((s) => defined.has(s)) };
  }

  /**
   * Why a request naming these scopes for `audience` must be refused (invalid_scope), or
   * undefined. OpenID scopes are not the API's business; a scope another requested resource
   * defines is left to that resource.
   */
  refusedScope(
    client: ResourceClient,
    audience: string,
    requestedScopes: Iterable<string>,
    requestedAudiences: readonly string[],
  ): string | undefined {
    const access = this.allowedResourceScopes(client, audience);
    if (!access.allowed) return access.message;
    const allowed = new Set(access.scopes);
    const defined = new Set(access.server.scopes.map((s) => s.name));
    const others = requestedAudiences.filter((a) => a !== audience).map((a) => this.get(a));
    for (const scope of requestedScopes) {
      // /api's scopes share their names with OpenID scopes, which stay for the ID token.
      if (OIDC_SCOPES.has(scope)) continue;
      if (defined.has(scope)) {
        if (!allowed.has(scope)) {
          return `this client may not ask for scope "${scope}" at ${audience}; it may ask for: ${[...allowed].join(' ') || 'nothing'}`;
        }
        continue;
      }
      if (others.some((s) => s?.scopes.some((d) => d.name === scope))) continue;
      const owners = this.list().filter((s) => s.scopes.some((d) => d.name === scope));
      return owners.length > 0
        ? `scope "${scope}" belongs to ${owners.map((s) => s.audience).join(', ')}, not to ${audience}; ask for that resource`
        : `unknown scope "${scope}"`;
    }
    return undefined;
  }

  /** Problems with the clients' `resources` fields against these servers (reported at boot). */
  clientProblems(clients: readonly { client_id: string }[]): string[] {
    const problems: string[] = [];
    for (const client of clients) {
      const label = `client "${client.client_id}"`;
      for (const [audience, scopes] of Object.entries(listed(client))) {
        const server = this.get(audience);
        if (!server) {
          problems.push(`${label}: resources names ${audience}, which is not a resource server`);
          continue;
        }
        if (server.firstPartyOnly && !isFirstPartyClient(client)) {
          problems.push(
            `${label}: ${audience} is for first-party applications only, and this client is not one`,
          );
        }
        const defined = new Set(server.scopes.map((s) => s.name));
        for (const scope of scopes) {
          if (!defined.has(scope)) {
            problems.push(`${label}: ${audience} has no scope "${scope}"`);
          }
        }
      }
    }
    return problems;
  }

  /** For the consent page (interactions/scope-descriptions.ts). */
  get apiAudience(): string {
    return this.api.audience;
  }

  nameOf(audience: string): string | undefined {
    return this.get(audience)?.name;
  }

  /** The description of a scope in the current request's language, if the file gives one. */
  describe(audience: string, scope: string): string | undefined {
    const text = this.get(audience)?.scopes.find((s) => s.name === scope)?.description;
    return localized(text);
  }
}

export function localized(text: LocalizedText | undefined): string | undefined {
  if (text === undefined || typeof text === 'string') return text;
  const locale = currentLocale();
  return text[locale] ?? text[locale.split('-')[0] as string] ?? text.en ?? Object.values(text)[0];
}
