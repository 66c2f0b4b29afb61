// The provider's own security events in the audit trail: a refresh token or code presented again
// (the library revokes the whole grant), and an application revoking its grant at the revocation
// endpoint. Sign-outs that revoke grants are recorded where they happen, not here.
import type Provider from 'oidc-provider';
import type { errors, KoaContextWithOIDC } from 'oidc-provider';
import type { AuditEvent, AuditLog } from '../audit/audit-log.ts';
import { AlreadyConsumed } from './redis-revocation.ts';

type Entity = { accountId?: unknown; clientId?: unknown } | undefined;

function accountOf(ctx: KoaContextWithOIDC): string | undefined {
  const entities = (ctx.oidc?.entities ?? {}) as Record<string, Entity>;
  for (const name of ['RefreshToken', 'AccessToken', 'AuthorizationCode', 'DeviceCode', 'Grant']) {
    const id = entities[name]?.accountId;
    if (typeof id === 'string') return id;
  }
  return undefined;
}

/** What a grant revoked at the token endpoint means: something single-use was used again. */
function reuse(ctx: KoaContextWithOIDC, grantId: string): AuditEvent {
  const grantType = String(ctx.oidc?.params?.grant_type ?? '');
  const base = {
    outcome: 'failure' as const,
    actor: 'system' as const,
    accountId: accountOf(ctx),
    clientId: ctx.oidc?.client?.clientId,
  };
  if (grantType === 'refresh_token') {
    return { ...base, type: 'refresh_token.reuse_detected', details: { grant_id: grantId } };
  }
  if (grantType === 'authorization_code') {
    return { ...base, type: 'authorization_code.reuse_detected', details: { grant_id: grantId } };
  }
  return {
    ...base,
    type: 'grant.revoked',
    details: { grant_id: grantId, reason: 'reuse', grant_type: grantType },
  };
}

export function auditProviderEvents(provider: Provider, audit: AuditLog): void {
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const route = ctx?.oidc?.route;
    if (route === 'token') audit.record(reuse(ctx, grantId));
    else if (route === 'revocation') {
      audit.record({
        type: 'grant.revoked',
        actor: 'system',
        accountId: accountOf(ctx),
        clientId: ctx.oidc?.client?.clientId,
        details: { grant_id: grantId, by: 'client' },
      });
    }
  });
  // A second use that raced the first: our adapter revoked the grant itself (no library event).
  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: errors.OIDCProviderError) => {
    if (error instanceof AlreadyConsumed && error.grantId !== undefined) {
      audit.record(reuse(ctx, error.grantId));
    }
  });
}
