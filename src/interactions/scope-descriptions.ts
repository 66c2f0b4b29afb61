// Plain-language descriptions of what a client asks for, shown on the consent page. Each line
// says exactly what the grant allows: reading is "see", anything that can write says "change".

const OIDC: Record<string, string> = {
  openid: 'Know who you are on this service (a stable account identifier)',
  profile: 'See your name and profile picture',
  email: 'See your email address',
  offline_access: 'Keep access while you are not using the application',
};

/** Latchkey's own API (`${ISSUER}/api`): PATCH /api/me with `profile` rewrites the profile. */
const API: Record<string, string> = {
  profile: 'See and change your name and profile picture',
  email: 'See your email address',
};

export interface ScopeLine {
  scope: string;
  description: string;
}

export function describeScopes(
  oidcScopes: readonly string[],
  resourceScopes: Readonly<Record<string, readonly string[]>>,
  apiResource: string,
): ScopeLine[] {
  const lines: ScopeLine[] = oidcScopes.map((scope) => ({
    scope,
    description: OIDC[scope] ?? `Use the "${scope}" permission`,
  }));
  for (const [resource, scopes] of Object.entries(resourceScopes)) {
    for (const scope of scopes) {
      const known = resource === apiResource ? API[scope] : undefined;
      lines.push({
        scope: `${resource} ${scope}`,
        description: known
          ? `${known} through your Latchkey account`
          : `Use the "${scope}" permission at ${resource}, which may include changing data there`,
      });
    }
  }
  return lines;
}
