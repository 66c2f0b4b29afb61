// Counts what the provider's token endpoint answers, from its events: tokens issued and refused by
// grant type, and codes or refresh tokens presented again after use.
import type Provider from 'oidc-provider';
import type { errors, KoaContextWithOIDC } from 'oidc-provider';
import { RefreshReplayed } from '../oidc/refresh-grace.ts';
import type { Metrics, ReuseKind } from './metrics.ts';

/** The library's reason for a reuse (and our adapter's, for the loser of a race: redis-revocation.ts). */
const REUSE: Readonly<Record<string, ReuseKind>> = {
  'refresh token already used': 'refresh_token',
  'authorization code already consumed': 'authorization_code',
  'device code already consumed': 'device_code',
};

const grantTypeOf = (ctx: KoaContextWithOIDC | undefined) => {
  const value = ctx?.oidc?.params?.grant_type;
  return typeof value === 'string' ? value : '';
};

export function countTokenEvents(provider: Provider, metrics: Metrics): void {
  if (!metrics.enabled) return;
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    metrics.tokenIssued(grantTypeOf(ctx));
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: errors.OIDCProviderError) => {
    // A refresh retried within the grace window gets its first answer again: not a refusal.
    if (error instanceof RefreshReplayed) return;
    metrics.tokenRefused(grantTypeOf(ctx), error.error);
    const reuse = error.error_detail === undefined ? undefined : REUSE[error.error_detail];
    if (reuse) metrics.tokenReuse(reuse);
  });
}
