// Composition root: wires every part into one Koa app. No environment reads, no I/O.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouterContext } from '@koa/router';
import type { JWK } from 'jose';
import Koa from 'koa';
import type Provider from 'oidc-provider';
import type { DataSource } from 'typeorm';
import { AccountService } from './accounts/account-service.ts';
import { EmailOwnership } from './accounts/email-ownership.ts';
import { EmailTokens } from './accounts/email-tokens.ts';
import { LoginThrottle, type ThrottleLimits } from './accounts/login-throttle.ts';
import { PasskeyChallenges } from './accounts/passkey-challenges.ts';
import { Passkeys, passkeyAmr } from './accounts/passkeys.ts';
import { PasswordHasher } from './accounts/passwords.ts';
import { ProfileCache, type ProfileChangeChannel } from './accounts/profile-cache.ts';
import { SecondFactors } from './accounts/second-factors.ts';
import { UpstreamAccounts } from './accounts/upstream-accounts.ts';
import { apiRoutes } from './api/me.ts';
import { type AuditTrail, createAuditTrail } from './audit/audit-trail.ts';
import type { Config } from './config.ts';
import type { RedisClient } from './db/redis.ts';
import { RedisAttemptCounter } from './db/redis.ts';
import type { StoreOutages } from './db/store-outages.ts';
import { createDeviceFlow } from './device/device-flow.ts';
import { apiDescription } from './http/api-description.ts';
import { assets, webauthnHelper } from './http/assets.ts';
import { brandAssets, brandLocals } from './http/brand.ts';
import { CsrfTokens, sameOriginOnly } from './http/csrf.ts';
import { errorMapper, koaErrorLogger, providerErrors } from './http/errors.ts';
import { healthRoutes } from './http/health.ts';
import { issuerPin, pinToIssuer } from './http/issuer-host.ts';
import { knownMethodsOnly } from './http/known-methods.ts';
import { languageChoice } from './http/language.ts';
import { LinkCookies } from './http/link-cookies.ts';
import { machineRequests } from './http/machine-requests.ts';
import { RequestState, requestContext, requestInfo } from './http/request-context.ts';
import { securityHeaderSet } from './http/security-headers.ts';
import { VIEWS_DIR, Views } from './http/views.ts';
import { InteractionKit } from './interactions/interaction-kit.ts';
import { passkeyInteractionRoutes } from './interactions/passkey-routes.ts';
import { interactionRoutes } from './interactions/routes.ts';
import { SecondStep, SecondStepStore } from './interactions/second-step.ts';
import { secondStepRoutes } from './interactions/second-step-routes.ts';
import { SignInTickets } from './interactions/sign-in-tickets.ts';
import { upstreamRoutes } from './interactions/upstream-routes.ts';
import { deriveKey } from './keys/cookie-keys.ts';
import { KeyRing } from './keys/key-encryption.ts';
import type { Logger } from './logger.ts';
import { mailNotices } from './mail/account-notices.ts';
import { createMailer } from './mail/create-mailer.ts';
import type { Mailer } from './mail/mailer.ts';
import { createMetrics } from './metrics/create-metrics.ts';
import { countResponse, requestMetrics } from './metrics/http-metrics.ts';
import type { Metrics } from './metrics/metrics.ts';
import { metricsRoute } from './metrics/metrics-endpoint.ts';
import { countTokenEvents } from './metrics/provider-metrics.ts';
import { timeUpstreams } from './metrics/upstream-metrics.ts';
import { AccountApps } from './oidc/account-apps.ts';
import type { AccountDevices } from './oidc/account-devices.ts';
import type { AccountSessionsIndex } from './oidc/account-sessions.ts';
import { createAccountSignOuts } from './oidc/account-sign-outs.ts';
import type { BackchannelLogout } from './oidc/backchannel-logout.ts';
import { type ClientEntry, clientLogoOrigins, clientOrigins } from './oidc/clients.ts';
import { ConsentStore } from './oidc/consent-store.ts';
import { DpopNonces, dpopNonceSecret } from './oidc/dpop-nonces.ts';
import { findAccount, profileReader } from './oidc/find-account.ts';
import { oidcPages } from './oidc/pages.ts';
import { apiResource, createProvider, ROUTES } from './oidc/provider.ts';
import { auditProviderEvents } from './oidc/provider-audit.ts';
import { redisAdapterFactory } from './oidc/redis-adapter.ts';
import { RefreshGrace } from './oidc/refresh-grace.ts';
import type { ResourceServers } from './oidc/resource-servers.ts';
import { accountClient } from './self-service/account-client.ts';
import {
  type AccountPageDeps,
  accountRoutes,
  leaveAccountNotice,
} from './self-service/account-routes.ts';
import { emailRoutes } from './self-service/email-routes.ts';
import { nameRoute } from './tracing/route-name.ts';
import { UpstreamAttempts } from './upstreams/attempts.ts';
import {
  createUpstreams,
  UPSTREAM_BUTTONS,
  type Upstreams,
  upstreamOrigins,
} from './upstreams/registry.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: DataSource;
  redis: RedisClient;
  clients: readonly ClientEntry[];
  /** The APIs tokens are issued for (boot.ts loads RESOURCE_SERVERS_FILE). */
  resourceServers: ResourceServers;
  jwks: { keys: JWK[] };
  cookieKeys: readonly string[];
  /** Outage tracking for Postgres and Redis (from boot); absent, outages are not logged. */
  outages?: StoreOutages;
  /** Account changes told to every instance (from boot); absent, only this one hears of them. */
  profileChanges?: ProfileChangeChannel;
  /** Overrides the sign-in and sign-up throttles (tests). */
  throttleLimits?: ThrottleLimits;
  /** Ends an account's other sessions after its password changed (see AccountPageDeps). */
  endOtherSessions?: AccountPageDeps['endOtherSessions'];
  /** Wait before the first back-channel logout retry (tests shorten it). */
  backchannelBackoffMs?: number;
  /** Sends mail; default from the config: SMTP_URL's relay, or the log when it is unset. */
  mailer?: Mailer;
  /** Wait before the first mail retry (tests shorten it). */
  mailBackoffMs?: number;
  /** How long a passkey challenge may be answered (tests shorten it); default five minutes. */
  passkeyChallengeMs?: number;
  /** Records metrics; default from the config (METRICS_PORT or METRICS_TOKEN), else nothing. */
  metrics?: Metrics;
}

export interface LatchkeyApp {
  /** The Node request handler: machine endpoints straight to the provider, the rest to `app`. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  app: Koa;
  provider: Provider;
  accounts: AccountService;
  upstreamAccounts: UpstreamAccounts;
  /** Two-step sign-in: TOTP, recovery codes, remembered browsers. */
  factors: SecondFactors;
  /** Passkey ceremonies and storage (e.g. to verify a passkey as a second factor). */
  passkeys: Passkeys;
  consents: ConsentStore;
  upstreams: Upstreams;
  /** Each account's sessions and grants, and ending them (sign out everywhere). */
  accountSessions: AccountSessionsIndex;
  /** The same as a list of devices with what was recorded about each, and signing one out. */
  devices: AccountDevices;
  /** Logout tokens in flight to apps. */
  backchannel: BackchannelLogout;
  /** Mail to people (close it on shutdown: it may still hold messages). */
  mailer: Mailer;
  /** What Latchkey records about itself (main.ts serves it on METRICS_PORT). */
  metrics: Metrics;
  /** Security events (close it on shutdown: it may still hold events not yet written). */
  audit: AuditTrail;
  /** Readiness turns 503 so a load balancer stops sending new requests. */
  startDraining(): void;
}

/** Paths the mounted provider answers; everything else is ours. */
const PROVIDER_PATHS = ['/.well-known/openid-configuration', ...Object.values(ROUTES)];

/** The provider's endpoints for programs: JSON in and out, no page of ours ever involved. */
const MACHINE_ENDPOINTS: ReadonlySet<string> = new Set([
  '/.well-known/openid-configuration',
  ROUTES.token,
  ROUTES.introspection,
  ROUTES.revocation,
  ROUTES.jwks,
  ROUTES.pushed_authorization_request,
  ROUTES.device_authorization,
  ROUTES.userinfo,
]);

function isProviderPath(path: string): boolean {
  return PROVIDER_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Provider paths none of our routers serve (ours: the device page, ROUTES.code_verification). */
function isProviderOnlyPath(path: string): boolean {
  const device = ROUTES.code_verification;
  return isProviderPath(path) && path !== device && !path.startsWith(`${device}/`);
}

type Step<C> = (ctx: C, next: () => Promise<unknown>) => unknown;

/** Middleware run one after the other, as app.use would, as one middleware. */
function inOrder<C>(
  middleware: readonly Step<C>[],
): (ctx: C, next: () => Promise<unknown>) => Promise<void> {
  return (ctx, next) => {
    const run = async (i: number): Promise<void> => {
      const current = middleware[i];
      if (current === undefined) {
        await next();
        return;
      }
      await current(ctx, () => run(i + 1));
    };
    return run(0);
  };
}

export function createApp(deps: AppDeps): LatchkeyApp {
  const { config, logger, db, redis } = deps;
  const https = config.issuer.startsWith('https:');
  const issuerOrigin = new URL(config.issuer).origin;
  const views = new Views(VIEWS_DIR, {
    cache: true,
    brand: brandLocals(config.brand),
    signUp: config.signUpEnabled,
  });
  const mailer = deps.mailer ?? createMailer(config, logger, { backoffMs: deps.mailBackoffMs });
  const metrics = deps.metrics ?? createMetrics(config.metrics, { redis, db });
  const cookieKey = deps.cookieKeys[0];
  const audit = createAuditTrail({
    db,
    logger,
    settings: config.audit,
    // Hashes of addresses typed for unknown accounts, keyed so they cannot be reversed by guessing.
    hashKey: cookieKey === undefined ? undefined : deriveKey(cookieKey, 'audit-address'),
  });
  const auditLog = audit.writer;

  const hasher = new PasswordHasher(config.bcryptCost, config.bcryptQueueLimit, metrics.hashing);
  const throttle = new LoginThrottle(
    new RedisAttemptCounter(redis, `${config.redisKeyPrefix}throttle:`),
    deps.throttleLimits,
    metrics.throttle,
  );
  const tokens = new EmailTokens(db);
  const notices = mailNotices(mailer, config.issuer);
  // Profiles for the claims of tokens and userinfo, dropped on every instance when one changes.
  const profiles = new ProfileCache({
    ttlSeconds: config.claimsCacheSeconds,
    ...(deps.profileChanges ? { channel: deps.profileChanges } : {}),
    onPublishError: (error) =>
      logger.warn({ err: error }, 'account change not told to the other instances'),
  });
  const profileChanged = (accountId: string) => profiles.changed(accountId);
  const accounts = new AccountService({
    dataSource: db,
    hasher,
    throttle,
    tokens,
    notices,
    audit: auditLog,
    profileChanged,
  });
  const ownership = new EmailOwnership({
    dataSource: db,
    tokens,
    notices,
    throttle,
    hasher,
    audit: auditLog,
    profileChanged,
  });
  // TOTP secrets are sealed with the same key-encryption keys as the signing keys.
  const factors = new SecondFactors({
    dataSource: db,
    ring: new KeyRing(config.keyEncryptionKeys),
    throttle,
    issuerLabel: config.brand.product,
    audit: auditLog,
    profileChanged,
  });
  const readProfile = profileReader(accounts, profiles);
  const tickets = new SignInTickets(redis, config.redisKeyPrefix);
  // Passkeys belong to the issuer's host (the RP ID) and are made and used on its origin only.
  const passkeys = new Passkeys({
    dataSource: db,
    challenges: new PasskeyChallenges(redis, config.redisKeyPrefix, deps.passkeyChallengeMs),
    rp: { id: new URL(config.issuer).hostname, origin: issuerOrigin, name: config.brand.product },
    tokens,
    notices,
    throttle,
    audit: auditLog,
  });
  const linkCookies = new LinkCookies(https);
  const upstreamAccounts = new UpstreamAccounts(db, auditLog, { profileChanged });
  const consents = new ConsentStore(db);
  const upstreams = timeUpstreams(
    createUpstreams(
      config.upstreams,
      { timeoutMs: config.upstreamTimeoutMs },
      config.upstreamOrder,
    ),
    metrics,
  );
  const attempts = new UpstreamAttempts(redis, config.redisKeyPrefix);
  const csrf = new CsrfTokens(deps.cookieKeys);

  const clients = [...deps.clients, accountClient(config.issuer, config.brand.product)];
  // Shared by every instance (derived from the cookie key), never logged.
  const nonceSecret = dpopNonceSecret(deps.cookieKeys);
  const oidcPrefix = `${config.redisKeyPrefix}oidc:`;
  const refreshGrace = new RefreshGrace({
    redis,
    prefix: oidcPrefix,
    graceSeconds: config.refreshReuseGraceSeconds,
  });
  const device = createDeviceFlow({
    issuer: config.issuer,
    settings: config.device,
    redis,
    oidcPrefix,
    throttlePrefix: `${config.redisKeyPrefix}throttle:`,
    views,
    resourceServers: deps.resourceServers,
    audit: auditLog,
    whoIs: async (id) => {
      const profile = await accounts.findProfile(id);
      return profile?.email ?? profile?.name ?? undefined;
    },
  });
  const provider = createProvider({
    issuer: config.issuer,
    clients,
    jwks: deps.jwks,
    cookieKeys: deps.cookieKeys,
    adapter: redisAdapterFactory({
      redis,
      prefix: oidcPrefix,
      clockTolerance: 15,
      // A device polling after its code expired is told so (expired_token) for five minutes.
      linger: { DeviceCode: 300 },
      refreshConsumedFirst: refreshGrace.enabled ? () => refreshGrace.lostRace() : undefined,
    }),
    refreshGrace,
    findAccount: findAccount(accounts, profiles),
    consents,
    resourceServers: deps.resourceServers,
    pages: oidcPages(views),
    device: device.provider,
    trustProxy: config.trustProxy,
    trustProxyHops: config.trustProxyHops,
    logger,
    backchannelPrivateNetwork: config.backchannelAllowPrivateNetwork,
    // From the profile cache: turning the setting on or off drops the entry everywhere.
    accountRequiresMfa: async (accountId) => (await readProfile(accountId))?.mfaRequired === true,
    dpopNonceSecret: nonceSecret,
  });
  auditProviderEvents(provider, auditLog);
  const { backchannel, accountSessions, devices, ...signOuts } = createAccountSignOuts({
    provider,
    redis,
    prefix: oidcPrefix,
    logger,
    metadata: config.sessionMetadata,
    onBackchannelAttempt: (outcome) => metrics.backchannel(outcome),
    audit: auditLog,
    ...(deps.backchannelBackoffMs === undefined
      ? {}
      : { backchannelBackoffMs: deps.backchannelBackoffMs }),
  });
  // The provider is a Koa app of its own: give its context our request id, logger and nonce.
  provider.use(async (ctx, next) => {
    ctx.state = new RequestState(requestInfo(ctx.req), logger);
    await next();
  });
  providerErrors(provider, { views, logger, outages: deps.outages });
  countTokenEvents(provider, metrics);

  let draining = false;
  const health = healthRoutes({
    draining: () => draining,
    ...(deps.outages ? { outages: deps.outages } : {}),
    probes: {
      postgres: async () => {
        await db.query('SELECT 1');
      },
      redis: async () => {
        await redis.ping();
      },
    },
  });
  const endOtherSessions = deps.endOtherSessions ?? signOuts.endOtherSessions;
  // Each router that mounts browser forms refuses cross-site posts to them.
  const sameOrigin = sameOriginOnly(issuerOrigin);
  const kit = new InteractionKit({ provider, views, csrf, upstreams, metrics, audit: auditLog });
  // Every sign-in passes the second step's gate (interactions/second-step.ts).
  const secondStep = new SecondStep({
    kit,
    accounts,
    factors,
    store: new SecondStepStore(redis, config.redisKeyPrefix),
    hasPasskey: async (accountId) => (await passkeys.count(accountId)) > 0,
  });
  kit.guardSignIns(secondStep.gate);
  const secondStepPages = secondStepRoutes({
    kit,
    secondStep,
    factors,
    passkeys,
    accounts,
    sameOrigin,
    https,
  });
  const interactions = interactionRoutes({
    kit,
    accounts,
    consents,
    resourceServers: deps.resourceServers,
    sameOrigin,
    signUpEnabled: config.signUpEnabled,
    csrf,
    tickets,
    cookies: linkCookies,
    stepUp: (ctx, details) => secondStep.stepUp(ctx, details),
  });
  const passkeyPages = passkeyInteractionRoutes({
    kit,
    passkeys,
    sameOrigin,
    signUpEnabled: config.signUpEnabled,
    csrf,
    cookies: linkCookies,
  });
  const upstreamPages = upstreamRoutes({
    kit,
    accounts,
    upstreamAccounts,
    attempts,
    upstreams,
    issuer: config.issuer,
    sameOrigin,
  });
  const account = accountRoutes({
    provider,
    accounts,
    upstreamAccounts,
    upstreams,
    attempts,
    views,
    csrf,
    issuer: config.issuer,
    https,
    recentSignInSeconds: config.recentSignInSeconds,
    endOtherSessions,
    devices,
    apps: new AccountApps({ consents, index: accountSessions, provider }),
    resourceServers: deps.resourceServers,
    sameOrigin,
    ownership,
    cookies: linkCookies,
    factors,
    passkeys,
    audit,
  });
  const emailPages = emailRoutes({
    provider,
    ownership,
    tickets,
    cookies: linkCookies,
    views,
    csrf,
    signOutEverywhere: async (accountId) => {
      const ended = await devices.signOutOthers(accountId, undefined);
      logger.info({ event: 'sessions.ended', accountId, ...ended }, 'every session ended');
      auditLog.record({
        type: 'sessions.revoked',
        accountId,
        details: { scope: 'all', via: 'password_reset', ...ended },
      });
    },
    accountNotice: (ctx, notice) => leaveAccountNotice(ctx, notice, https),
    sameOrigin,
    // The passkey made at sign-up, without UV counted as a factor: it was not used to sign in.
    signUpPasskeyAmr: async (accountId) => {
      const [first] = await passkeys.list(accountId);
      return passkeyAmr(first?.synced ?? true, false);
    },
  });
  // Device sign-in (src/device/): inside the provider after its error mapping, routes before it.
  const deviceRouter = device.mount(provider, sameOrigin);
  // docs/openapi.yaml, read now: a broken file stops the boot rather than the first request.
  const description = apiDescription({ issuer: config.issuer });
  const origins = clientOrigins(clients);
  const api = apiRoutes({
    provider,
    accounts,
    audience: apiResource(config.issuer),
    corsOrigins: new Set(origins.filter((o) => o.startsWith('http'))),
    devices,
    recentSignInSeconds: config.recentSignInSeconds,
    issuer: config.issuer,
    dpopNonces: new DpopNonces(nonceSecret, 'latchkey /api'),
    audit: auditLog,
  });

  // maxIpsCount: the client address is the entry this many hops from the right of
  // X-Forwarded-For; entries further left were written by the client and are ignored.
  const app = new Koa({
    proxy: config.trustProxy,
    maxIpsCount: config.trustProxyHops,
    keys: [...deps.cookieKeys],
  });
  app.on('error', koaErrorLogger(logger));
  const headerSet = securityHeaderSet({
    https,
    formTargets: [...origins, ...upstreamOrigins(config.upstreams)],
    imageOrigins: clientLogoOrigins(clients),
  });
  const headers = headerSet.middleware();
  const handle = provider.callback();
  // Endpoints only programs call (tokens, keys, discovery) answer JSON in the provider's own
  // words: they skip the Koa app and its page machinery (language, error pages, our routers).
  const machine = machineRequests({
    paths: MACHINE_ENDPOINTS,
    logger,
    trustProxy: config.trustProxy,
    trustProxyHops: config.trustProxyHops,
    pin: issuerPin(config.issuer, config.trustProxy),
    headers: headerSet,
    provider: handle,
    ...(metrics.enabled
      ? { onRequest: (req, res, path) => countResponse(metrics, path, req, res) }
      : {}),
  });
  if (metrics.enabled) app.use(requestMetrics(metrics, PROVIDER_PATHS));
  app.use(requestContext(logger, { trustProxy: config.trustProxy }));
  app.use(pinToIssuer(config.issuer, config.trustProxy));
  if (metrics.enabled && config.metrics.token) app.use(metricsRoute(metrics, config.metrics.token));
  app.use(languageChoice({ https, product: config.brand.product }));
  app.use(errorMapper(views, deps.outages));
  app.use(headers);
  app.use(knownMethodsOnly());
  app.use(
    assets(`${VIEWS_DIR}/assets`, [
      ...brandAssets(config.brand, UPSTREAM_BUTTONS),
      webauthnHelper(),
    ]),
  );
  app.use(health.routes());
  app.use(description);
  // Our pages and APIs. The provider's own paths (authorize, logout, ...) skip matching them.
  const ourRoutes = inOrder<RouterContext>([
    interactions.routes(),
    interactions.allowedMethods(),
    secondStepPages.routes(),
    secondStepPages.allowedMethods(),
    passkeyPages.routes(),
    passkeyPages.allowedMethods(),
    upstreamPages.routes(),
    upstreamPages.allowedMethods(),
    account.routes(),
    account.allowedMethods(),
    emailPages.routes(),
    emailPages.allowedMethods(),
    api.routes(),
    api.allowedMethods(),
    deviceRouter.routes(),
  ]);
  app.use<Koa.DefaultState, RouterContext>((ctx, next) =>
    isProviderOnlyPath(ctx.path)
      ? next()
      : ourRoutes(ctx, () => {
          nameRoute(ctx);
          return next();
        }).finally(() => nameRoute(ctx)),
  );

  app.use(async (ctx, next) => {
    if (!isProviderPath(ctx.path)) return next();
    // The provider's one browser form of its own, the logout confirmation.
    if (ctx.path.startsWith(`${ROUTES.end_session}/`)) await sameOrigin(ctx, async () => {});
    // The provider writes its own response to the same Node request.
    ctx.respond = false;
    await handle(ctx.req, ctx.res);
  });

  const pages = app.callback();
  return {
    handle(req, res) {
      if (!machine(req, res)) void pages(req, res);
    },
    app,
    provider,
    accounts,
    upstreamAccounts,
    factors,
    passkeys,
    consents,
    upstreams,
    accountSessions,
    devices,
    backchannel,
    mailer,
    metrics,
    audit,
    startDraining() {
      draining = true;
    },
  };
}
