// Liveness (/healthz: the process answers) and readiness (/readyz: Postgres and Redis answer).
// Both are public: they say which store is unreachable, never why (that goes to the log).
import Router from '@koa/router';
import { type Probe, type Store, type StoreOutages, withTimeout } from '../db/store-outages.ts';

export interface HealthDeps {
  probes: Record<Store, Probe>;
  /** True once shutdown has begun: readiness fails so load balancers drain us. */
  draining: () => boolean;
  /** Told about every probe result, so an outage is logged once with its cause. */
  outages?: StoreOutages;
  timeoutMs?: number;
}

export function healthRoutes(deps: HealthDeps): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    if (deps.draining()) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'shutting_down' };
      return;
    }
    const names = Object.keys(deps.probes) as Store[];
    const results = await Promise.allSettled(
      names.map((name) => withTimeout(deps.probes[name](), deps.timeoutMs ?? 2000)),
    );
    const checks: Partial<Record<Store, 'ok' | 'unreachable'>> = {};
    const failing: Store[] = [];
    results.forEach((result, i) => {
      const name = names[i] as Store;
      if (result.status === 'fulfilled') {
        checks[name] = 'ok';
        deps.outages?.answered(name);
      } else {
        checks[name] = 'unreachable';
        failing.push(name);
        deps.outages?.failed(name, result.reason);
      }
    });
    if (failing.length === 0) {
      ctx.body = { status: 'ready', checks };
      return;
    }
    ctx.status = 503;
    ctx.body = {
      status: 'unavailable',
      checks,
      reason: failing.length === 1 ? `${failing[0]}_unreachable` : 'stores_unreachable',
    };
  });
  return router;
}
