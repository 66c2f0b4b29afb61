// Keeps the session metadata (session-metadata.ts) from the provider's events: a sign-in writes
// the device, address and method; later authorizations (SSO) and refreshes mark activity, at most
// once per interval. Nothing here delays or fails a response: errors are only logged.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../logger.ts';
import { storageId } from './redis-keys.ts';
import type { SessionMetadata } from './session-metadata.ts';

/** The login result's method (interactions set it from how the person signed in), else from amr. */
function methodOf(login: Record<string, unknown>): string {
  if (typeof login.method === 'string') return login.method;
  return Array.isArray(login.amr) && login.amr.includes('pwd') ? 'password' : 'unknown';
}

export function recordSessionActivity(
  provider: Provider,
  metadata: SessionMetadata,
  options: { prefix: string; logger: Logger },
): void {
  const failed = (ctx: KoaContextWithOIDC) => (error: unknown) => {
    const log = (ctx.state?.log as Logger | undefined) ?? options.logger;
    log.warn({ event: 'session_metadata.failed', err: error }, 'session metadata not written');
  };

  provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    const session = ctx.oidc.session;
    if (!session?.accountId) return;
    const handle = storageId(options.prefix, 'Session', session.jti);
    const login = ctx.oidc.result?.login as Record<string, unknown> | undefined;
    const work = login
      ? metadata.signedIn(handle, {
          userAgent: ctx.get('user-agent'),
          ip: ctx.ip,
          method: methodOf(login),
        })
      : metadata.activity('Session', handle);
    work.catch(failed(ctx));
  });

  // A refresh token issued (code, device code or refresh grant): the device that holds it.
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grant = ctx.oidc.entities.Grant;
    const body = ctx.body as { refresh_token?: unknown } | undefined;
    if (!grant?.jti || typeof body?.refresh_token !== 'string') return;
    // A device-flow app: where it asked from, as recorded at its device authorization request.
    const info = (ctx.oidc.entities.DeviceCode as { deviceInfo?: { ip?: string; ua?: string } })
      ?.deviceInfo;
    metadata
      .refreshIssued(grant.jti, {
        userAgent: info?.ua ?? ctx.get('user-agent'),
        ip: info?.ip ?? ctx.ip,
        deviceFlow: ctx.oidc.entities.DeviceCode !== undefined,
      })
      .catch(failed(ctx));
  });
}
