// Device sign-in's parts, wired once: what the provider's configuration needs (pages, code
// lifetime, the single confirmation) and, once the provider exists, what goes around it.
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { AuditLog } from '../audit/audit-log.ts';
import type { DeviceSettings } from '../config.ts';
import type { RedisClient } from '../db/redis.ts';
import { RedisAttemptCounter } from '../db/redis.ts';
import type { Views } from '../http/views.ts';
import { deviceFlowPages, type WhoIs } from '../oidc/device-pages.ts';
import type { ProviderDeps } from '../oidc/provider.ts';
import type { ResourceServers } from '../oidc/resource-servers.ts';
import { DeviceClaims } from './device-claims.ts';
import { deviceFlowMiddleware } from './device-flow-middleware.ts';
import { DevicePolling } from './device-polling.ts';
import { deviceRoutes } from './device-routes.ts';
import { UserCodeThrottle } from './user-code-throttle.ts';

export interface DeviceFlowDeps {
  issuer: string;
  settings: DeviceSettings;
  redis: RedisClient;
  /** The Redis prefix of the provider's records (`…oidc:`) and of the attempt counters. */
  oidcPrefix: string;
  throttlePrefix: string;
  views: Views;
  /** Names the signed-in person on the confirm page. */
  whoIs?: WhoIs;
  /** Names the APIs and their scopes on the confirm page. */
  resourceServers: ResourceServers;
  /** Where a device allowed or refused by its person is recorded. */
  audit: AuditLog;
}

export function createDeviceFlow(deps: DeviceFlowDeps) {
  const { issuer, settings, redis } = deps;
  const claims = new DeviceClaims({
    redis,
    prefix: deps.oidcPrefix,
    codeTtlSeconds: settings.codeTtlSeconds,
  });
  const throttle = new UserCodeThrottle(new RedisAttemptCounter(redis, deps.throttlePrefix), {
    perSession: settings.attemptsPerSession,
    perSource: settings.attemptsPerSource,
    windowSeconds: 15 * 60,
  });
  const polling = new DevicePolling({
    redis,
    prefix: deps.oidcPrefix,
    intervalSeconds: settings.pollIntervalSeconds,
    codeTtlSeconds: settings.codeTtlSeconds,
  });
  const provider: ProviderDeps['device'] = {
    pages: deviceFlowPages(deps.views, deps.resourceServers, deps.audit, deps.whoIs),
    codeTtlSeconds: settings.codeTtlSeconds,
    claim: (jti) => claims.claim(jti),
  };
  return {
    /** For createProvider's `device`. */
    provider,
    /**
     * Adds the throttle, the filled-in code page and slow_down inside the provider (after its
     * error mapping), and returns the routes that go in front of it: sign in first, the QR code.
     */
    mount(oidc: Provider, sameOrigin: Middleware): Router {
      oidc.use(deviceFlowMiddleware({ provider: oidc, throttle, polling }));
      return deviceRoutes({ provider: oidc, issuer, throttle, sameOrigin });
    },
  };
}
