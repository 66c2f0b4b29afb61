// Plain-language descriptions of what a client asks for, shown on the consent page. Each line
// says exactly what the grant allows: reading is "see", anything that can write says "change".
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

export interface ScopeLine {
  scope: string;
  description: string;
}

const known = (table: Readonly<Record<string, MessageKey>>, scope: string) =>
  Object.hasOwn(table, scope) ? table[scope] : undefined;

export function describeScopes(
  oidcScopes: readonly string[],
  resourceScopes: Readonly<Record<string, readonly string[]>>,
  apiResource: string,
): ScopeLine[] {
  const lines: ScopeLine[] = oidcScopes.map((scope) => {
    const key = known(OIDC, scope);
    return { scope, description: key ? t(key) : t('scope.unknown', { scope }) };
  });
  for (const [resource, scopes] of Object.entries(resourceScopes)) {
    for (const scope of scopes) {
      const key = resource === apiResource ? known(API, scope) : undefined;
      lines.push({
        scope: `${resource} ${scope}`,
        description: key ? t(key) : t('scope.resource', { scope, resource }),
      });
    }
  }
  return lines;
}
