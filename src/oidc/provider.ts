// The oidc-provider configuration: one object that reads as our authorization server policy.

import type { JWK } from 'jose';
import Provider, {
  type Adapter,
  type Configuration,
  errors,
  type FindAccount,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { LOCALES } from '../i18n/locales.ts';
import type { Logger } from '../logger.ts';
import { plainAddress } from '../net.ts';
import { ACR_VALUES } from './assurance.ts';
import { outgoingFetch } from './backchannel-logout.ts';
import type { ClientEntry } from './clients.ts';
import { type ClaimDeviceCode, loadExistingGrant } from './consent-policy.ts';
import type { ConsentStore } from './consent-store.ts';
import type { DeviceFlowPages } from './device-pages.ts';
import { CLAIMS_BY_SCOPE } from './find-account.ts';
import { isMachine } from './machine-clients.ts';
import {
  MACHINE_TOKEN_TTL,
  machineDefaultResource,
  machineResourceServer,
} from './machine-tokens.ts';
import { interactionPolicyWithStepUp } from './mfa-policy.ts';
import type { OidcPages } from './pages.ts';
import { logRefusals } from './provider-events.ts';
import type { RefreshGrace } from './refresh-grace.ts';
import { checkResourcesField, type ResourceServers } from './resource-servers.ts';

/** Our own account API is a resource server (oidc/resource-servers.ts has its entry). */
export const apiResource = (issuer: string) => `${issuer}/api`;

export const TTL = {
  AccessToken: 15 * 60,
  AuthorizationCode: 60,
  IdToken: 60 * 60,
  Interaction: 60 * 60,
  Session: 14 * 24 * 60 * 60,
  // Confidential clients: each rotation starts a new 30 days. Public clients: see refreshTokenTTL.
  RefreshToken: 30 * 24 * 60 * 60,
  // A grant outlives its refresh tokens: rotation keeps extending them up to this horizon.
  Grant: 365 * 24 * 60 * 60,
  ClientCredentials: MACHINE_TOKEN_TTL,
  DeviceCode: 10 * 60,
  BackchannelAuthenticationRequest: 10 * 60,
  PreAuthorizedCode: 10 * 60,
} as const;

export const ROUTES = {
  authorization: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  jwks: '/jwks',
  end_session: '/logout',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
  pushed_authorization_request: '/par',
  // Device sign-in (RFC 8628): where the device asks for a code, and the page people open.
  device_authorization: '/device/auth',
  code_verification: '/device',
} as const;

export interface ProviderDeps {
  issuer: string;
  clients: readonly ClientEntry[];
  jwks: { keys: JWK[] };
  cookieKeys: readonly string[];
  adapter: (model: string) => Adapter;
  findAccount: FindAccount;
  consents: ConsentStore;
  /** The APIs tokens are issued for (RESOURCE_SERVERS_FILE), Latchkey's own /api among them. */
  resourceServers: ResourceServers;
  pages: OidcPages;
  trustProxy: boolean;
  trustProxyHops: number;
  logger: Logger;
  /** The device sign-in pages (src/device/device-pages.ts) and how long a user code lives. */
  device: { pages: DeviceFlowPages; codeTtlSeconds: number; claim?: ClaimDeviceCode };
  /** The refresh grace window; without it every reuse of a rotated refresh token revokes. */
  refreshGrace?: RefreshGrace;
  /** Logout tokens may go to loopback and private addresses (BACKCHANNEL_ALLOW_PRIVATE_NETWORK). */
  backchannelPrivateNetwork?: boolean;
  /** The account's "always ask for a second step" (a session below two factors signs in again). */
  accountRequiresMfa?: (accountId: string) => Promise<boolean>;
  /** 32 bytes every instance shares (dpop-nonces.ts): a DPoP nonce from one is good at all. */
  dpopNonceSecret: Buffer;
}

const isConfidential = (client: { clientAuthMethod?: string | undefined }) =>
  client.clientAuthMethod !== undefined && client.clientAuthMethod !== 'none';

/**
 * A public client's refresh token is a bearer secret held without client authentication: rotation
 * replaces it but never extends it past the first token's expiry, so a stolen chain dies on time.
 * The library's default applies this to web clients only; here it covers every public client,
 * unless the token is bound to a key (DPoP or mTLS).
 */
export function refreshTokenTTL(
  ctx: KoaContextWithOIDC | undefined,
  token: { isSenderConstrained(): boolean },
  client: { clientAuthMethod?: string | undefined },
): number {
  const rotated = ctx?.oidc?.entities?.RotatedRefreshToken;
  if (rotated && !isConfidential(client) && !token.isSenderConstrained()) {
    return rotated.remainingTTL;
  }
  return TTL.RefreshToken;
}

/** The resource indicators a request names (`resource` may repeat). */
function requestedAudiences(ctx: KoaContextWithOIDC): string[] {
  const value = ctx.oidc.params?.resource;
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? [value] : [];
}

/** The scopes a request names: the authorization request's, or a refresh's narrower `scope`. */
function requestedScopes(ctx: KoaContextWithOIDC): string[] {
  const scope = ctx.oidc.params?.scope;
  return typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : [];
}

/**
 * RFC 9068 §2.2.1: when and how the person signed in, where known (a code, a refresh token or a
 * device code carries them; a client-credentials token has none).
 */
function signInClaims(ctx: KoaContextWithOIDC | undefined): Record<string, unknown> {
  const entities = ctx?.oidc?.entities;
  const from = entities?.AuthorizationCode ?? entities?.RefreshToken ?? entities?.DeviceCode;
  if (!from) return {};
  return {
    ...(typeof from.authTime === 'number' ? { auth_time: from.authTime } : {}),
    ...(typeof from.acr === 'string' ? { acr: from.acr } : {}),
  };
}

export function createProvider(deps: ProviderDeps): Provider {
  const https = deps.issuer.startsWith('https:');
  const resources = deps.resourceServers;
  const grace = deps.refreshGrace?.enabled ? deps.refreshGrace : undefined;
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: https, overwrite: true };
  const allowedOrigins = new Map<string, Set<string>>(
    deps.clients.map((c) => [
      c.client_id,
      new Set(
        (c.redirect_uris ?? [])
          .map((u) => URL.parse(u))
          .filter((u) => u !== null && (u.protocol === 'https:' || u.protocol === 'http:'))
          .map((u) => (u as URL).origin),
      ),
    ]),
  );

  const configuration: Configuration = {
    adapter: deps.adapter,
    clients: deps.clients.map((c) => ({ ...c })),
    jwks: deps.jwks as Configuration['jwks'],
    findAccount: grace
      ? async (ctx, sub, token) => {
          // The last step before the refresh grant decides whether a consumed token is reuse.
          await grace.beforeReuseCheck(ctx, token);
          return deps.findAccount(ctx, sub, token);
        }
      : deps.findAccount,
    claims: {
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      // How the person signed in goes in every ID token (acr, amr: oidc/assurance.ts).
      openid: [...CLAIMS_BY_SCOPE.openid, 'acr', 'amr'],
      profile: [...CLAIMS_BY_SCOPE.profile],
      email: [...CLAIMS_BY_SCOPE.email],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    // Discovery lists them; without any, the library drops the acr claim.
    acrValues: [...ACR_VALUES],
    // Scope-requested claims also go in the ID token, as most relying-party libraries expect.
    conformIdTokenClaims: false,
    // 'none' serves only the built-in account page, which needs a session and no tokens.
    responseTypes: ['code', 'none'],
    // private_key_jwt (RFC 7523): the client signs an assertion with a key whose public half we hold.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
    },
    extraClientMetadata: {
      properties: ['first_party', 'require_mfa', 'machine', 'resources'],
      validator(_ctx, key, value) {
        if (key === 'resources') {
          const problem = checkResourcesField(value);
          if (problem) throw new errors.InvalidClientMetadata(problem);
        }
        if (key === 'first_party' && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata('first_party must be a boolean');
        }
        if (key === 'require_mfa' && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata('require_mfa must be a boolean');
        }
      },
    },
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    rotateRefreshToken: true,
    async issueRefreshToken(_ctx, client, code) {
      return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
    },
    ttl: {
      ...TTL,
      // A plain number here would override each resource server's own lifetime.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? TTL.AccessToken,
      DeviceCode: deps.device.codeTtlSeconds,
      RefreshToken: refreshTokenTTL,
      // The resource's lifetime, never longer than a machine token's.
      ClientCredentials: (_ctx, token) =>
        Math.min(
          token.resourceServer?.accessTokenTTL ?? TTL.ClientCredentials,
          TTL.ClientCredentials,
        ),
    },
    formats: {
      customizers: {
        async jwt(ctx, _token, jwt) {
          Object.assign(jwt.payload, signInClaims(ctx));
        },
      },
    },
    cookies: {
      keys: [...deps.cookieKeys],
      names: {
        // __Host- binds the session cookie to this exact origin over https.
        session: https ? '__Host-latchkey.session' : 'latchkey.session',
        interaction: 'latchkey.interaction',
        resume: 'latchkey.resume',
      },
      long: cookie,
      short: cookie,
    },
    routes: { ...ROUTES },
    // Pages follow the request's ui_locales when it names one of these (see http/language.ts).
    discovery: { ui_locales_supported: [...LOCALES] },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyWithStepUp(deps.accountRequiresMfa ?? (async () => false)),
    },
    loadExistingGrant: loadExistingGrant(deps.consents, deps.device.claim),
    // Browsers may call userinfo for any client, and the token endpoint only for public clients
    // (a confidential client's secret never belongs in a browser), from registered origins only.
    clientBasedCORS(ctx, origin, client) {
      if (ctx.oidc.route !== 'userinfo' && isConfidential(client)) return false;
      return allowedOrigins.get(client.clientId)?.has(origin) ?? false;
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      // Machine clients only: clients.ts gives the grant to no one else.
      clientCredentials: { enabled: true },
      // RFC 9449: any client may bind its tokens to a key; dpop_bound_access_tokens requires it.
      // Every proof carries a server nonce, so a proof made ahead of time is worthless.
      dPoP: { enabled: true, nonceSecret: deps.dpopNonceSecret, requireNonce: () => true },
      introspection: {
        enabled: true,
        // Only confidential clients may introspect, and only tokens issued to themselves.
        async allowedPolicy(_ctx, client, token) {
          return isConfidential(client) && token.clientId === client.clientId;
        },
      },
      revocation: {
        enabled: true,
        async allowedPolicy(_ctx, client, token) {
          if (token.clientId !== client.clientId) {
            if (!isConfidential(client)) return false;
            throw new errors.InvalidRequest(
              'client is not authorized to revoke the presented token',
            );
          }
          return true;
        },
      },
      deviceFlow: {
        enabled: true,
        // Twenty consonants, no vowels or look-alikes (RFC 8628 §6.1): BCDF-GHJK, hyphen optional.
        charset: 'base-20',
        mask: '****-****',
        // Shown on the confirm page (RFC 10027): where the request came from, as seen here.
        deviceInfo: (ctx) => ({
          ip: plainAddress(ctx.ip),
          ua: (ctx.get('user-agent') ?? '').slice(0, 512),
        }),
        userCodeInputSource: deps.device.pages.userCodeInputSource,
        userCodeConfirmSource: deps.device.pages.userCodeConfirmSource,
        successSource: deps.device.pages.successSource,
      },
      // Logout tokens go out through oidc/backchannel-logout.ts (in the background, retried).
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: deps.pages.logoutSource,
        postLogoutSuccessSource: deps.pages.postLogoutSuccessSource,
      },
      resourceIndicators: {
        enabled: true,
        async defaultResource(_ctx, client, oneOf) {
          return oneOf ?? (isMachine(client) ? machineDefaultResource(client) : undefined);
        },
        async useGrantedResource() {
          return false;
        },
        // Called at the authorization request and again at the token endpoint (code, refresh and
        // client credentials). What a client may have comes from one place:
        // ResourceServers.allowedResourceScopes.
        async getResourceServerInfo(ctx, resourceIndicator, client) {
          const access = resources.allowedResourceScopes(client, resourceIndicator);
          if (!access.allowed) throw new errors.InvalidTarget(access.message);
          if (isMachine(client)) return machineResourceServer(ctx, client, access);
          const refused = resources.refusedScope(
            client,
            resourceIndicator,
            requestedScopes(ctx),
            requestedAudiences(ctx),
          );
          if (refused) throw new errors.InvalidScope(refused, requestedScopes(ctx).join(' '));
          const { server } = access;
          return {
            scope: access.scopes.join(' '),
            audience: server.audience,
            accessTokenTTL: server.accessTokenTtlSeconds,
            accessTokenFormat: server.format,
            ...(server.format === 'jwt' ? { jwt: { sign: { alg: 'RS256' as const } } } : {}),
          };
        },
      },
    },
    renderError: deps.pages.renderError,
    fetch: outgoingFetch(deps.backchannelPrivateNetwork ?? false),
  };

  const provider = new Provider(deps.issuer, configuration);
  provider.proxy = deps.trustProxy;
  if (grace) provider.use(grace.middleware());
  provider.maxIpsCount = deps.trustProxyHops;

  logRefusals(provider, deps.logger);
  return provider;
}
