// Plain-language descriptions of what a client asks for, shown on the consent page.

const OIDC: Record<string, string> = {
  openid: 'Know who you are on this service (a stable account identifier)',
  profile: 'See your name and profile picture',
  email: 'See your email address',
  offline_access: 'Keep access while you are not using the application',
};

export interface ScopeLine {
  scope: string;
  description: string;
}

export function describeScopes(
  oidcScopes: readonly string[],
  resourceScopes: Readonly<Record<string, readonly string[]>>,
): ScopeLine[] {
  const lines: ScopeLine[] = oidcScopes.map((scope) => ({
    scope,
    description: OIDC[scope] ?? `Use the "${scope}" permission`,
  }));
  for (const [resource, scopes] of Object.entries(resourceScopes)) {
    for (const scope of scopes) {
      const what = OIDC[scope] ?? `Use the "${scope}" permission`;
      lines.push({ scope: `${resource} ${scope}`, description: `${what} through ${resource}` });
    }
  }
  return lines;
}
