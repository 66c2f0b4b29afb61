// Maps accounts to OpenID Connect claims, by scope.
import type { AccountClaims, FindAccount } from 'oidc-provider';
import type { Profile } from '../accounts/account.ts';
import type { AccountService } from '../accounts/account-service.ts';
import type { ProfileCache } from '../accounts/profile-cache.ts';

export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  profile: ['name', 'picture', 'updated_at'],
  email: ['email', 'email_verified'],
} as const;

/** The claims a token with these scopes may reveal; absent values are left out, not null. */
export function claimsForScopes(profile: Profile, scopes: ReadonlySet<string>): AccountClaims {
  const claims: AccountClaims = { sub: profile.id };
  if (scopes.has('profile')) {
    if (profile.name) claims.name = profile.name;
    if (profile.picture) claims.picture = profile.picture;
    claims.updated_at = Math.floor(profile.updatedAt.getTime() / 1000);
  }
  if (scopes.has('email') && profile.email) {
    claims.email = profile.email;
    claims.email_verified = profile.emailVerified;
  }
  return claims;
}

/**
 * An account's profile from `cache` while that is fresh, else from the read replica
 * (DATABASE_READ_URL), or from the primary for an account that changed a moment ago
 * (profile-cache.ts, FRESH_READ_MS) or when there is no cache to know that.
 */
export function profileReader(
  accounts: AccountService,
  cache?: ProfileCache,
): (accountId: string) => Promise<Profile | undefined> {
  const load = (id: string, fresh: boolean) =>
    fresh ? accounts.findProfile(id) : accounts.findProfileOnReplica(id);
  return cache ? (id) => cache.get(id, load) : (id) => load(id, true);
}

/** The account behind a session or token, its profile read by profileReader. */
export function findAccount(accounts: AccountService, cache?: ProfileCache): FindAccount {
  const read = profileReader(accounts, cache);
  return async (_ctx, sub) => {
    const profile = await read(sub);
    if (!profile) return undefined;
    return {
      accountId: profile.id,
      claims: (_use, scope) => claimsForScopes(profile, new Set(scope.split(' '))),
    };
  };
}
