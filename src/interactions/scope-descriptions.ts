// Plain-language descriptions of what a client asks for, shown on the consent page. Each line
// says exactly what the grant allows: reading is "see", anything that can write says "change".
// Another API's scopes are described in RESOURCE_SERVERS_FILE (oidc/resource-servers.ts).
import { type MessageKey, t } from '../i18n/t.ts';

const OIDC: Readonly<Record<string, MessageKey>> = {
  openid: 'scope.openid',
  profile: 'scope.profile',
  email: 'scope.email',
  offline_access: 'scope.offline_access',
};

/** Latchkey's own API (`${ISSUER}/api`): PATCH /api/me with `profile` rewrites the profile. */
const API: Readonly<Record<string, MessageKey>> = {
  profile: 'scope.api_profile',
  email: 'scope.api_email',
};

/** What the page knows about the resource servers: their names and their scopes' wording. */
export interface ScopeCatalogue {
  /** Latchkey's own /api, whose wording is in the catalogue of every language. */
  readonly apiAudience: string;
  /** The description of a scope in the current language, when configured. */
  describe?(audience: string, scope: string): string | undefined;
  /** The API's display name. */
  nameOf?(audience: string): string | undefined;
}

export interface ScopeLine {
  scope: string;
  description: string;
  /** The API the scope is for (its name), absent for OpenID scopes: the page groups by it. */
  resource?: string;
}

const known = (table: Readonly<Record<string, MessageKey>>, scope: string) =>
  Object.hasOwn(table, scope) ? table[scope] : undefined;

export function describeScopes(
  oidcScopes: readonly string[],
  resourceScopes: Readonly<Record<string, readonly string[]>>,
  catalogue: ScopeCatalogue,
): ScopeLine[] {
  const lines: ScopeLine[] = oidcScopes.map((scope) => {
    const key = known(OIDC, scope);
    return { scope, description: key ? t(key) : t('scope.unknown', { scope }) };
  });
  for (const [resource, scopes] of Object.entries(resourceScopes)) {
    const name = catalogue.nameOf?.(resource) ?? resource;
    for (const scope of scopes) {
      const configured = catalogue.describe?.(resource, scope);
      const key = resource === catalogue.apiAudience ? known(API, scope) : undefined;
      lines.push({
        scope: `${resource} ${scope}`,
        description: configured ?? (key ? t(key) : t('scope.resource', { scope, resource })),
        resource: name,
      });
    }
  }
  return lines;
}

/** Lines in page order: the OpenID ones first, then one group per API. */
export function groupByResource(
  lines: readonly ScopeLine[],
): { resource: string | undefined; lines: ScopeLine[] }[] {
  const groups: { resource: string | undefined; lines: ScopeLine[] }[] = [];
  for (const line of lines) {
    const last = groups.at(-1);
    if (last && last.resource === line.resource) last.lines.push(line);
    else groups.push({ resource: line.resource, lines: [line] });
  }
  return groups;
}
