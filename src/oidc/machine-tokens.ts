// What a machine client's client_credentials token is for: one audience from its allow-list, only
// scopes listed there, a short life and no person. Anything else is refused with a readable reason.
import { errors, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import { soleAudience } from './machine-clients.ts';
import type { AllowedAccess } from './resource-servers.ts';

/** Machine tokens live five minutes: a leaked one is soon useless, and getting another is cheap. */
export const MACHINE_TOKEN_TTL = 5 * 60;

/**
 * The resource a machine client gets when it names none: its only audience. With several it must
 * choose, so no token is ever issued without an audience.
 */
export function machineDefaultResource(client: { clientId: string }): string {
  const audience = soleAudience(client);
  if (audience === undefined) {
    throw new errors.InvalidTarget(
      `client ${client.clientId} may call several audiences: name one with the resource parameter`,
    );
  }
  return audience;
}

/**
 * resourceIndicators.getResourceServerInfo for machine clients (their only grant:
 * client_credentials), once the resource servers allowed the audience: only the scopes the
 * client lists there, in the API's token format, for at most MACHINE_TOKEN_TTL.
 */
export function machineResourceServer(
  ctx: KoaContextWithOIDC,
  client: { clientId: string },
  access: AllowedAccess,
): ResourceServer {
  const allowed = new Set(access.scopes);
  const audience = access.server.audience;
  const requested = String(ctx.oidc.params?.scope ?? '')
    .split(' ')
    .filter((s) => s !== '');
  const refused = requested.filter((s) => !allowed.has(s));
  if (refused.length > 0) {
    throw new errors.InvalidScope(
      `client ${client.clientId} may not have ${refused.join(' ')} at ${audience}`,
      refused.join(' '),
    );
  }
  const format = access.server.format;
  return {
    scope: [...allowed].join(' '),
    audience,
    accessTokenTTL: Math.min(access.server.accessTokenTtlSeconds, MACHINE_TOKEN_TTL),
    accessTokenFormat: format,
    ...(format === 'jwt' ? { jwt: { sign: { alg: 'RS256' as const } } } : {}),
  };
}
