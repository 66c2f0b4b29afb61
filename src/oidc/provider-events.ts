// What the provider refuses, logged as structured events (server errors and store outages are
// logged and answered by http/errors.ts).
import type Provider from 'oidc-provider';
import type { errors, KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../logger.ts';
import { describeGrantRefusal } from './grant-refusals.ts';
import { AlreadyConsumed } from './redis-revocation.ts';
import { RefreshReplayed } from './refresh-grace.ts';

export function logRefusals(provider: Provider, logger: Logger): void {
  const log = (ctx: KoaContextWithOIDC | undefined) =>
    (ctx?.state?.log as Logger | undefined) ?? logger;
  const refused = (event: string) => (ctx: KoaContextWithOIDC, error: errors.OIDCProviderError) => {
    if (error instanceof RefreshReplayed) {
      log(ctx).info(
        { event: 'refresh.replayed', client: ctx?.oidc?.client?.clientId },
        'refresh answered again within the grace window',
      );
      return;
    }
    if (error instanceof AlreadyConsumed && error.grantId !== undefined) {
      log(ctx).info({ event: 'grant.revoked', grantId: error.grantId }, 'grant revoked');
    }
    log(ctx).info(
      {
        event,
        error: error.error,
        description: error.error_description,
        client: ctx?.oidc?.client?.clientId,
      },
      'oidc request refused',
    );
  };
  provider.on('authorization.error', refused('authorization.error'));
  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: errors.OIDCProviderError) => {
    describeGrantRefusal(ctx, error);
    refused('grant.error')(ctx, error);
  });
  provider.on('introspection.error', refused('introspection.error'));
  provider.on('revocation.error', refused('revocation.error'));
  provider.on('userinfo.error', refused('userinfo.error'));
  provider.on('end_session.error', refused('end_session.error'));
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    log(ctx).info({ event: 'grant.revoked', grantId }, 'grant revoked');
  });
}
